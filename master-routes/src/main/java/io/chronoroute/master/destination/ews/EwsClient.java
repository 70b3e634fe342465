package io.chronoroute.master.destination.ews;

import io.chronoroute.master.destination.RequestGate;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * SOAP 1.1 over the JDK {@link HttpClient}: wraps an operation in the envelope (RequestServerVersion header), sends
 * it with Basic or Bearer authentication through the destination's {@link RequestGate}, parses the answer with DOM
 * (namespace aware, no DTDs) and turns SOAP faults (with {@code BackOffMilliseconds}) and HTTP errors into
 * {@link EwsException}. NTLM is not implemented (the JDK client has none).
 */
final class EwsClient {

    static final String NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/";
    static final String NS_M = "http://schemas.microsoft.com/exchange/services/2006/messages";
    static final String NS_T = "http://schemas.microsoft.com/exchange/services/2006/types";

    private final EwsSettings settings;
    private final RequestGate gate;
    private final HttpClient http;
    private final String authorization;

    EwsClient(EwsSettings settings, RequestGate gate) {
        this.settings = settings;
        this.gate = gate;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
        if (settings.bearerToken() != null && !settings.bearerToken().isBlank()) {
            authorization = "Bearer " + settings.bearerToken();
        } else if (settings.username() != null && !settings.username().isBlank()) {
            authorization = "Basic " + Base64.getEncoder().encodeToString((settings.username() + ":"
                    + (settings.password() == null ? "" : settings.password())).getBytes(StandardCharsets.UTF_8));
        } else {
            authorization = null;
        }
    }

    /**
     * Sends one operation ({@code <m:CreateItem ...>...</m:CreateItem>}) and returns its response messages
     * ({@code m:*ResponseMessage} elements, one per item of the request), errors included: check them with
     * {@link #check(Element)}.
     */
    List<Element> call(String operationXml, boolean write) throws Exception {
        String envelope = "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"" + NS_SOAP
                + "\" xmlns:m=\"" + NS_M + "\" xmlns:t=\"" + NS_T + "\"><soap:Header><t:RequestServerVersion Version=\""
                + EwsXml.esc(settings.version()) + "\"/></soap:Header><soap:Body>" + operationXml
                + "</soap:Body></soap:Envelope>";
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(settings.url())).timeout(settings.timeout())
                .header("Content-Type", "text/xml; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(envelope, StandardCharsets.UTF_8));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        gate.acquire(write);
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        int status = r.statusCode();
        Document doc = null;
        if (r.body() != null && r.body().length > 0 && r.headers().firstValue("Content-Type").orElse("")
                .contains("xml")) {
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
    static Element check(Element message) throws EwsException {
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

    static Document parse(byte[] xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setXIncludeAware(false);
        f.setExpandEntityReferences(false);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml));
    }

    static List<Element> all(Element root) {
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
    static Element first(Element root, String ns, String local) {
        for (Element e : all(root)) {
            if (local.equals(e.getLocalName()) && ns.equals(e.getNamespaceURI())) {
                return e;
            }
        }
        return null;
    }

    static Element firstLocal(Element root, String local) {
        for (Element e : all(root)) {
            if (local.equals(e.getLocalName())) {
                return e;
            }
        }
        return null;
    }

    /** Direct children with that local name. */
    static List<Element> children(Element parent, String local) {
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

    static Element child(Element parent, String local) {
        List<Element> l = children(parent, local);
        return l.isEmpty() ? null : l.get(0);
    }

    static String textOf(Element e) {
        return e == null ? null : e.getTextContent();
    }
}
