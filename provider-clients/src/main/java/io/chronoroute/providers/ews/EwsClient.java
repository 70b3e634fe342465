package io.chronoroute.providers.ews;

import io.chronoroute.providers.common.RequestGate;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Authenticator;
import java.net.HttpURLConnection;
import java.net.PasswordAuthentication;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * SOAP 1.1 over HTTP: wraps an operation in the envelope (RequestServerVersion header), sends it through the
 * destination's {@link RequestGate}, parses the answer with DOM (namespace aware, no DTDs) and turns SOAP faults
 * (with {@code BackOffMilliseconds}) and HTTP errors into {@link EwsException}.
 *
 * <p>Basic and Bearer go over the JDK {@link HttpClient}. NTLM goes over {@link HttpURLConnection} with a
 * per-client {@link Authenticator}: NTLM authenticates a TCP connection (NEGOTIATE → CHALLENGE → AUTHENTICATE on one
 * connection, IIS then keeps the connection authenticated), which {@code HttpClient} (free pooling, no NTLM) cannot
 * do, while {@code HttpURLConnection} runs the whole handshake itself on one kept-alive connection with the JDK's
 * pure-Java NTLM client (NTLMv2 by default, property {@code ntlm.version}; {@code http.auth.ntlm.domain} is not
 * used, the domain is passed per client as {@code DOMAIN\\user}; {@code jdk.http.auth.tunneling.disabledSchemes}
 * only concerns proxy tunnels). Chosen over an own NTLM client: no hand-written HTTP/1.1 and crypto in production,
 * and the fake server's independent NTLMv2 verifier tests a real client. The authenticator answers only NTLM
 * (never hands the password to Basic) and only once per call, so a refused AUTHENTICATE (wrong password) ends as
 * HTTP 401 → {@code HTTP401} → AUTH instead of retrying. Auth cache entries are per authenticator (JDK 9+).
 */
public final class EwsClient {

    /** The JDK logs request headers (the NTLM AUTHENTICATE message) at FINE: pin it (strong reference). */
    private static final Logger JDK_HTTP_LOG = Logger.getLogger("sun.net.www.protocol.http.HttpURLConnection");

    static {
        JDK_HTTP_LOG.setLevel(Level.INFO);
    }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EwsClient.class);

    public static final String NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/";
    public static final String NS_M = "http://schemas.microsoft.com/exchange/services/2006/messages";
    public static final String NS_T = "http://schemas.microsoft.com/exchange/services/2006/types";

    private final EwsSettings settings;
    private final RequestGate gate;
    private final HttpClient http;
    private final String authorization;
    private final NtlmAuthenticator ntlm;

    public EwsClient(EwsSettings settings, RequestGate gate) {
        this.settings = settings;
        this.gate = gate;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
        if (settings.auth() == EwsSettings.Auth.NTLM) {
            String user = settings.username();
            if (settings.domain() != null && !settings.domain().isBlank() && user.indexOf('\\') < 0) {
                user = settings.domain() + "\\" + user;
            }
            if (settings.workstation() != null && !settings.workstation().isBlank()) {
                LOG.warn("ews.workstation is ignored: the JDK NTLM client sends this host's name");
            }
            ntlm = new NtlmAuthenticator(user, settings.password());
            authorization = null;
        } else if (settings.auth() == EwsSettings.Auth.BEARER) {
            ntlm = null;
            authorization = "Bearer " + settings.bearerToken();
        } else if (settings.username() != null && !settings.username().isBlank()) {
            ntlm = null;
            authorization = "Basic " + Base64.getEncoder().encodeToString((settings.username() + ":"
                    + (settings.password() == null ? "" : settings.password())).getBytes(StandardCharsets.UTF_8));
        } else {
            ntlm = null;
            authorization = null;
        }
    }

    /** Gives the NTLM credentials to the JDK once per call, for an NTLM challenge from the server only. */
    private static final class NtlmAuthenticator extends Authenticator {
        private final String user;
        private final char[] password;
        private final ThreadLocal<int[]> handed = ThreadLocal.withInitial(() -> new int[1]);

        NtlmAuthenticator(String user, String password) {
            this.user = user;
            this.password = (password == null ? "" : password).toCharArray();
        }

        void reset() {
            handed.get()[0] = 0;
        }

        @Override
        protected PasswordAuthentication getPasswordAuthentication() {
            if (getRequestorType() != RequestorType.SERVER || !"NTLM".equalsIgnoreCase(getRequestingScheme())
                    || handed.get()[0]++ > 0) {
                return null;
            }
            return new PasswordAuthentication(user, password.clone());
        }
    }

    private record Answer(int status, String contentType, byte[] body) {
    }

    private Answer sendNtlm(String envelope) throws IOException {
        ntlm.reset();
        HttpURLConnection c = (HttpURLConnection) URI.create(settings.url()).toURL().openConnection();
        c.setAuthenticator(ntlm);
        c.setInstanceFollowRedirects(false);
        c.setUseCaches(false);
        int timeout = (int) Math.min(Integer.MAX_VALUE, settings.timeout().toMillis());
        c.setConnectTimeout(timeout);
        c.setReadTimeout(timeout);
        c.setRequestMethod("POST");
        c.setDoOutput(true); // no streaming mode: the JDK must be able to resend the body during the handshake
        c.setRequestProperty("Content-Type", "text/xml; charset=utf-8");
        try (OutputStream out = c.getOutputStream()) {
            out.write(envelope.getBytes(StandardCharsets.UTF_8));
        }
        int status = c.getResponseCode();
        byte[] body;
        try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
            body = in == null ? new byte[0] : in.readAllBytes(); // read fully: keeps the connection reusable
        }
        String type = c.getContentType();
        return new Answer(status, type == null ? "" : type, body);
    }

    private Answer sendHttpClient(String envelope) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(settings.url())).timeout(settings.timeout())
                .header("Content-Type", "text/xml; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(envelope, StandardCharsets.UTF_8));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    }

    /**
     * Sends one operation ({@code <m:CreateItem ...>...</m:CreateItem>}) and returns its response messages
     * ({@code m:*ResponseMessage} elements, one per item of the request), errors included: check them with
     * {@link #check(Element)}.
     */
    public List<Element> call(String operationXml, boolean write) throws Exception {
        String envelope = "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"" + NS_SOAP
                + "\" xmlns:m=\"" + NS_M + "\" xmlns:t=\"" + NS_T + "\"><soap:Header><t:RequestServerVersion Version=\""
                + EwsXml.esc(settings.version()) + "\"/></soap:Header><soap:Body>" + operationXml
                + "</soap:Body></soap:Envelope>";
        gate.acquire(write);
        Answer r = ntlm != null ? sendNtlm(envelope) : sendHttpClient(envelope);
        int status = r.status();
        Document doc = null;
        if (r.body() != null && r.body().length > 0 && r.contentType().contains("xml")) {
            doc = parse(r.body());
        }
        if (doc != null) {
            Element fault = first(doc.getDocumentElement(), NS_SOAP, "Fault");
            if (fault != null) {
                throw fault(fault, status);
            }
        }
        if (status != 200 || doc == null) {
            throw new EwsException("HTTP" + status, "EWS answered HTTP " + status, status, -1);
        }
        Element messages = first(doc.getDocumentElement(), NS_M, "ResponseMessages");
        List<Element> out = new ArrayList<>();
        if (messages != null) {
            for (Node n = messages.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n instanceof Element e) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    /** Throws the message's error, if it is one. */
    public static Element check(Element message) throws EwsException {
        if (!"Error".equals(message.getAttribute("ResponseClass"))) {
            return message;
        }
        throw new EwsException(textOf(first(message, NS_M, "ResponseCode")), textOf(first(message, NS_M,
                "MessageText")), 200, -1);
    }

    private static EwsException fault(Element fault, int status) {
        String code = null;
        long backOff = -1;
        for (Element e : all(fault)) {
            if ("ResponseCode".equals(e.getLocalName()) && code == null) {
                code = textOf(e);
            } else if ("Value".equals(e.getLocalName()) && "BackOffMilliseconds".equals(e.getAttribute("Name"))) {
                try {
                    backOff = Long.parseLong(textOf(e).trim());
                } catch (NumberFormatException ignored) {
                    backOff = -1;
                }
            }
        }
        if (code == null) {
            Element fc = firstLocal(fault, "faultcode");
            String t = fc == null ? "ErrorInternalServerError" : textOf(fc);
            code = t.contains(":") ? t.substring(t.indexOf(':') + 1) : t;
        }
        Element fs = firstLocal(fault, "faultstring");
        return new EwsException(code, fs == null ? null : textOf(fs), status, backOff);
    }

    // ------------------------------------------------------------------------------------------------ DOM

    public static Document parse(byte[] xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setXIncludeAware(false);
        f.setExpandEntityReferences(false);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml));
    }

    public static List<Element> all(Element root) {
        List<Element> out = new ArrayList<>();
        collect(root, out);
        return out;
    }

    private static void collect(Element e, List<Element> out) {
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c) {
                out.add(c);
                collect(c, out);
            }
        }
    }

    /** First descendant with that namespace and local name. */
    public static Element first(Element root, String ns, String local) {
        for (Element e : all(root)) {
            if (local.equals(e.getLocalName()) && ns.equals(e.getNamespaceURI())) {
                return e;
            }
        }
        return null;
    }

    public static Element firstLocal(Element root, String local) {
        for (Element e : all(root)) {
            if (local.equals(e.getLocalName())) {
                return e;
            }
        }
        return null;
    }

    /** Direct children with that local name. */
    public static List<Element> children(Element parent, String local) {
        List<Element> out = new ArrayList<>();
        if (parent == null) {
            return out;
        }
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && (local == null || local.equals(e.getLocalName()))) {
                out.add(e);
            }
        }
        return out;
    }

    public static Element child(Element parent, String local) {
        List<Element> l = children(parent, local);
        return l.isEmpty() ? null : l.get(0);
    }

    public static String textOf(Element e) {
        return e == null ? null : e.getTextContent();
    }
}
