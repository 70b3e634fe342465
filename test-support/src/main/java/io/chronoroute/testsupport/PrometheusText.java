package io.chronoroute.testsupport;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads samples out of a Prometheus text-format scrape ({@code /actuator/prometheus}). */
public final class PrometheusText {

    private PrometheusText() {
    }

    /**
     * The value of the first sample of {@code metric} whose labels contain {@code labelSubstring} (e.g.
     * {@code agent="a1"}; "" matches a sample without labels too), or null when there is none.
     */
    public static Double sample(String text, String metric, String labelSubstring) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(metric) + "(?:\\{([^}]*)})? (\\S+)$").matcher(text);
        while (m.find()) {
            if ((m.group(1) == null ? "" : m.group(1)).contains(labelSubstring)) {
                return Double.parseDouble(m.group(2));
            }
        }
        return null;
    }

    /** {@link #sample} that fails with the whole scrape when the sample is missing. */
    public static double require(String text, String metric, String labelSubstring) {
        Double v = sample(text, metric, labelSubstring);
        if (v == null) {
            throw new AssertionError(metric + "{" + labelSubstring + "} not in the scrape:\n" + text);
        }
        return v;
    }
}
