package io.chronoroute.hawtio;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.security.servlet.SecurityAutoConfiguration;
import org.springframework.boot.autoconfigure.security.servlet.UserDetailsServiceAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.csrf.CookieCsrfTokenRepository;
import org.springframework.security.web.csrf.CsrfTokenRequestAttributeHandler;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Puts the operator console behind a login, in both apps.
 * <ul>
 *   <li>{@code /actuator/**} (Hawtio at {@code /actuator/hawtio}, Jolokia at {@code /actuator/jolokia}, Camel
 *       routes, metrics) needs the console user: form login for browsers, HTTP Basic for scripts.
 *       {@code /actuator/health} stays open for load balancers and Docker health checks.</li>
 *   <li>Everything else passes through Spring Security untouched: the Chronoroute REST API authenticates
 *       agents and admins itself (per-agent bearer credentials, admin token), in the Camel routes.</li>
 * </ul>
 * Hawtio's own authentication is switched off ({@code hawtio.authenticationEnabled=false} in
 * {@code chronoroute-console.properties}) because Spring Security already guards the whole path before a
 * request reaches Hawtio; the two logins would otherwise ask twice.
 */
@AutoConfiguration(before = {SecurityAutoConfiguration.class, UserDetailsServiceAutoConfiguration.class})
@EnableWebSecurity
@EnableConfigurationProperties(ConsoleProperties.class)
public class ConsoleSecurityAutoConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(ConsoleSecurityAutoConfiguration.class);

    @Bean
    @Order(1)
    SecurityFilterChain chronorouteConsoleChain(HttpSecurity http) throws Exception {
        CsrfTokenRequestAttributeHandler csrfHandler = new CsrfTokenRequestAttributeHandler();
        csrfHandler.setCsrfRequestAttributeName(null); // plain token in the XSRF-TOKEN cookie, as Hawtio's UI sends it
        // Path-pattern matchers, not MVC matchers: Jolokia is its own servlet, outside Spring MVC's dispatcher,
        // and an MVC matcher would let its requests fall through to the open API chain.
        PathPatternRequestMatcher.Builder path = PathPatternRequestMatcher.withDefaults();
        http.securityMatcher(new OrRequestMatcher(path.matcher("/actuator/**"), path.matcher("/login"),
                        path.matcher("/logout")))
                .authorizeHttpRequests(a -> a
                        .requestMatchers(path.matcher("/actuator/health"), path.matcher("/actuator/health/**")).permitAll()
                        .anyRequest().authenticated())
                .formLogin(f -> f.defaultSuccessUrl("/actuator/hawtio/", false))
                .httpBasic(b -> { })
                .csrf(c -> c.csrfTokenRepository(CookieCsrfTokenRepository.withHttpOnlyFalse())
                        .csrfTokenRequestHandler(csrfHandler));
        return http.build();
    }

    @Bean
    @Order(2)
    SecurityFilterChain chronorouteApiChain(HttpSecurity http) throws Exception {
        // The REST API authenticates in its routes (bearer tokens, no cookies), so no CSRF and no session here.
        http.securityMatcher(PathPatternRequestMatcher.withDefaults().matcher("/**"))
                .authorizeHttpRequests(a -> a.anyRequest().permitAll())
                .csrf(c -> c.disable())
                .requestCache(r -> r.disable())
                .sessionManagement(s -> s.sessionCreationPolicy(
                        org.springframework.security.config.http.SessionCreationPolicy.STATELESS));
        return http.build();
    }

    @Bean
    UserDetailsService chronorouteConsoleUsers(ConsoleProperties props, Environment env) {
        String password = props.password();
        if (password == null || password.isBlank()) {
            Path file = props.passwordFile() != null && !props.passwordFile().isBlank()
                    ? Path.of(props.passwordFile())
                    : Path.of(env.getProperty("chronoroute.data-dir", "./chronoroute-data"), "console-password");
            password = readOrCreatePassword(file);
            LOG.warn("No console password configured (chronoroute.console.password): using the generated one in {}",
                    file.toAbsolutePath());
        }
        PasswordEncoder encoder = PasswordEncoderFactories.createDelegatingPasswordEncoder();
        return new InMemoryUserDetailsManager(User.withUsername(props.username())
                .password(encoder.encode(password)).roles("ADMIN", "VIEWER").build());
    }

    @Bean
    PasswordEncoder chronoroutePasswordEncoder() {
        return PasswordEncoderFactories.createDelegatingPasswordEncoder();
    }

    static String readOrCreatePassword(Path file) {
        try {
            if (Files.exists(file)) {
                String existing = Files.readString(file).trim();
                if (!existing.isEmpty()) {
                    return existing;
                }
            }
            byte[] raw = new byte[18];
            new SecureRandom().nextBytes(raw);
            String generated = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".console-password", ".tmp");
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException notPosix) {
                LOG.debug("file system has no POSIX permissions: {}", tmp);
            }
            Files.writeString(tmp, generated + "\n");
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return generated;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write the console password file " + file, e);
        }
    }
}
