/* Swagger UI on the master's OpenAPI document (/api-doc). Writes carry the console session's CSRF token. */
(function () {
  'use strict';
  document.addEventListener('DOMContentLoaded', function () {
    fetch('/console/session', { credentials: 'same-origin' }).then(function (r) { return r.json(); }).catch(function () {
      return {};
    }).then(function (s) {
      window.ui = SwaggerUIBundle({
        url: '/api-doc',
        dom_id: '#swagger-ui',
        deepLinking: true,
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
