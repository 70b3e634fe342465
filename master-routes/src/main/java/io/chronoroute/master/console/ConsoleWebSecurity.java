package io.chronoroute.master.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.csrf.CsrfTokenRequestAttributeHandler;
import org.springframework.security.web.csrf.HttpSessionCsrfTokenRepository;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Login for the web console at {@code /}: the console user of {@code chronoroute.console.*} (the same as Hawtio's),
 * a session cookie (HttpOnly, SameSite=Lax, see application.yml), CSRF tokens kept in the session and sent by the
 * page in {@code X-CSRF-TOKEN}. {@code POST /console/login} (form fields username, password) and
 * {@code POST /console/logout} answer JSON, never a redirect. The page itself and its libraries are public (they
 * hold no data); the data comes from the REST API, which accepts the logged-in session through
 * {@link ConsoleSessionFilter}.
 */
@Configuration
public class ConsoleWebSecurity {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            + "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

    @Bean
    HttpSessionCsrfTokenRepository chronorouteConsoleCsrf() {
        return new HttpSessionCsrfTokenRepository();
    }

    @Bean
    @Order(0)
    SecurityFilterChain chronorouteWebConsoleChain(HttpSecurity http, HttpSessionCsrfTokenRepository csrf) throws Exception {
        PathPatternRequestMatcher.Builder path = PathPatternRequestMatcher.withDefaults();
        CsrfTokenRequestAttributeHandler plain = new CsrfTokenRequestAttributeHandler();
        http.securityMatcher(new OrRequestMatcher(path.matcher("/"), path.matcher("/index.html"),
                        path.matcher("/console/**"), path.matcher("/webjars/**"), path.matcher("/favicon.ico")))
                .authorizeHttpRequests(a -> a.anyRequest().permitAll())
                .formLogin(f -> f.loginPage("/").loginProcessingUrl("/console/login")
                        .successHandler((req, res, auth) -> json(res, 200, Map.of("status", "success",
                                "user", auth.getName())))
                        .failureHandler((req, res, e) -> json(res, 401, Map.of("error", "unauthorized",
                                "reason", "wrong user name or password")))
                        .permitAll())
                .logout(l -> l.logoutUrl("/console/logout").invalidateHttpSession(true).deleteCookies("JSESSIONID")
                        .logoutSuccessHandler((req, res, auth) -> json(res, 200, Map.of("status", "success"))))
                .csrf(c -> c.csrfTokenRepository(csrf).csrfTokenRequestHandler(plain))
                .exceptionHandling(e -> e
                        .authenticationEntryPoint((req, res, ex) -> json(res, 401, Map.of("error", "unauthorized",
                                "reason", "log in to the console")))
                        .accessDeniedHandler((req, res, ex) -> json(res, 403, Map.of("error", "forbidden",
                                "reason", "CSRF token missing or invalid; reload the console"))))
                .requestCache(r -> r.disable())
                .headers(h -> h.contentSecurityPolicy(p -> p.policyDirectives(CSP)));
        return http.build();
    }

    @Bean
    FilterRegistrationBean<ConsoleSessionFilter> chronorouteConsoleSessionFilter(ConsoleSessions sessions,
                                                                                 HttpSessionCsrfTokenRepository csrf) {
        FilterRegistrationBean<ConsoleSessionFilter> reg = new FilterRegistrationBean<>(
                new ConsoleSessionFilter(sessions, csrf));
        reg.setOrder(0); // after Spring Security's chain (-100), before the dispatcher
        reg.addUrlPatterns("/*");
        return reg;
    }

    static void json(HttpServletResponse res, int status, Map<String, ?> body) throws IOException {
        res.setStatus(status);
        res.setContentType("application/json");
        res.getOutputStream().write(JSON.writeValueAsBytes(new LinkedHashMap<>(body)));
    }
}
