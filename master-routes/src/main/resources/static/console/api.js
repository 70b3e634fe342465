/* Swagger UI on the master's OpenAPI document (/api-doc), served by this master: "Try it out" calls this origin.
 * Writes carry the console session's CSRF token. */
(function () {
  'use strict';
  function json(url) {
    return fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (r) { return r.json(); });
  }
  document.addEventListener('DOMContentLoaded', function () {
    Promise.all([json('/console/session').catch(function () { return {}; }), json('/api-doc')]).then(function (x) {
      var s = x[0];
      var spec = x[1];
      spec.servers = [{ url: location.origin, description: 'this master' }];
      window.ui = SwaggerUIBundle({
        spec: spec,
        dom_id: '#swagger-ui',
        deepLinking: true,
        validatorUrl: null,   // no badge from an online validator: the page works offline
        requestInterceptor: function (req) {
          if (s.csrf_token && req.method && req.method !== 'GET') {
            req.headers[s.csrf_header] = s.csrf_token;
          }
          return req;
        }
      });
    });
  });
}());
