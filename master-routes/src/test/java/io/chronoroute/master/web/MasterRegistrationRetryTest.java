package io.chronoroute.master.web;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Registration safe to repeat, master side (issue #15): the master commits a registration and its answer is lost
 * (here the connection drops before the answer is read); the same request again gets the same answer, a different
 * proof is still refused with 409, and the proposed credential is the agent's credential from then on.
 */
class MasterRegistrationRetryTest extends EdgeTestBase {

    static String proposal() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static String body(String id, String proposal) {
        return "{\"id\":\"" + id + "\",\"name\":\"retry\",\"enrollment_secret\":\"" + ENROLL + "\""
                + (proposal == null ? "" : ",\"proposed_credential\":\"" + proposal + "\"") + "}";
    }

    /** Sends the registration and drops the connection without reading the answer. */
    void sendAndDropTheAnswer(String body) throws Exception {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /sync/agents/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(b);
            out.flush();
            s.shutdownOutput();
            s.getInputStream().read(); // the master has answered (committed); the answer is thrown away
        }
    }

    @Test
    void aRegistrationWhoseAnswerWasLostIsAnsweredTheSameAndItsCredentialWorks() throws Exception {
        String id = uniqueId("lost");
        String proposal = proposal();
        sendAndDropTheAnswer(body(id, proposal));
        assertThat(store.findAgent(id)).as("committed").isPresent();

        Http.Response retry = http.json("POST", "/sync/agents/register", body(id, proposal));
        Http.Response again = http.json("POST", "/sync/agents/register", body(id, proposal));

        assertThat(retry.status()).as(retry.body()).isEqualTo(201);
        assertThat(again.status()).isEqualTo(201);
        assertThat(again.json()).isEqualTo(retry.json());
        JsonNode j = retry.json();
        assertThat(j.get("credential").isNull()).as("the agent already has its credential").isTrue();
        assertThat(j.get("legacy").asBoolean()).isFalse();
        Http.Response hb = http.json("POST", "/sync/agents/" + id + "/heartbeat", "{\"status\":\"active\"}",
                "Authorization", "Bearer " + proposal);
        assertThat(hb.status()).as(hb.body()).isEqualTo(200);
        assertNoSecretLogged(ENROLL, proposal);
    }

    @Test
    void aDifferentProofIsStillRefused() {
        String id = uniqueId("other");
        String proposal = proposal();
        assertThat(http.json("POST", "/sync/agents/register", body(id, proposal)).status()).isEqualTo(201);
        String before = store.findAgent(id).orElseThrow().toString();

        Http.Response other = http.json("POST", "/sync/agents/register", body(id, proposal()));
        Http.Response none = http.json("POST", "/sync/agents/register", body(id, null));

        assertThat(other.status()).isEqualTo(409);
        assertThat(none.status()).isEqualTo(409);
        assertThat(other.json().get("field").asText()).isEqualTo("id");
        assertThat(store.findAgent(id).orElseThrow().toString()).isEqualTo(before);
    }

    @Test
    void theSeedFlowWithoutAProposalIsUnchanged() {
        String id = uniqueId("seed");
        String credential = register(id);
        assertThat(credential).hasSizeGreaterThanOrEqualTo(43);
        Http.Response again = http.json("POST", "/sync/agents/register", body(id, null), "Authorization",
                "Bearer " + credential);
        assertThat(again.status()).isEqualTo(201);
        assertThat(again.json().get("credential").isNull()).isTrue();
        assertThat(again.json().get("message").asText()).contains("keep your credential");
    }
}
