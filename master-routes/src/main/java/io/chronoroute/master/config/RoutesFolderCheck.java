package io.chronoroute.master.config;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Camel fails to start when a {@code file:} entry of {@code camel.main.routes-include-pattern} names a folder
 * that does not exist. The operator routes folder ({@code chronoroute.routes-dir}, default {@code ./routes}) is
 * optional, so a missing folder is dropped from the pattern here (an existing empty folder is fine for Camel).
 * Nothing is created on disk. Registered in {@code META-INF/spring.factories}.
 */
public class RoutesFolderCheck implements EnvironmentPostProcessor {

    static final String KEY = "camel.main.routes-include-pattern";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
        String pattern = env.getProperty(KEY);
        if (pattern == null || pattern.isBlank()) {
            return;
        }
        List<String> kept = new ArrayList<>();
        boolean dropped = false;
        for (String entry : pattern.split(",")) {
            String e = entry.trim();
            if (e.startsWith("file:")) {
                String path = e.substring("file:".length());
                int slash = path.lastIndexOf('/');
                Path dir = Path.of(slash < 0 ? "." : path.substring(0, Math.max(slash, 1)));
                if (!Files.isDirectory(dir)) {
                    dropped = true;
                    System.getLogger(RoutesFolderCheck.class.getName()).log(System.Logger.Level.INFO,
                            "Routes folder " + dir.toAbsolutePath() + " does not exist: no operator routes loaded"
                                    + " (create it, or set chronoroute.routes-dir, and restart)");
                    continue;
                }
            }
            kept.add(e);
        }
        if (dropped) {
            env.getPropertySources().addFirst(new MapPropertySource("chronoroute-routes-folder-check",
                    Map.of(KEY, String.join(",", kept))));
        }
    }
}
