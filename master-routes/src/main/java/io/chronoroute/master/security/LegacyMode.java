package io.chronoroute.master.security;

import io.chronoroute.master.config.ChronorouteProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** Whether seed agents may register and call without credentials; announced loudly at startup when on. */
@Component
public class LegacyMode {

    private static final Logger LOG = LoggerFactory.getLogger(LegacyMode.class);
    private final boolean enabled;

    public LegacyMode(ChronorouteProperties props) {
        this.enabled = props.legacyEnabled();
        if (enabled) {
            LOG.warn("*** LEGACY AGENT MODE IS ON (chronoroute.legacy-agents.enabled=true): agents registered without"
                    + " an enrollment secret can call the master WITHOUT ANY CREDENTIAL. Anyone who can reach this"
                    + " port can impersonate them. Turn it off once all agents speak protocol 2. ***");
        }
    }

    public boolean enabled() {
        return enabled;
    }
}
