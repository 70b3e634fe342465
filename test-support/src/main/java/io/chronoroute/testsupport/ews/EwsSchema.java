package io.chronoroute.testsupport.ews;

import java.net.URL;
import javax.xml.XMLConstants;
import javax.xml.transform.dom.DOMSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import javax.xml.validation.Validator;
import org.w3c.dom.Element;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/** Microsoft's EWS schema (messages.xsd + types.xsd, bundled under /ews-schema), compiled once per JVM. */
final class EwsSchema {

    private static volatile Schema schema;

    private EwsSchema() {
    }

    static Schema schema() {
        Schema s = schema;
        if (s == null) {
            synchronized (EwsSchema.class) {
                s = schema;
                if (s == null) {
                    URL url = EwsSchema.class.getResource("/ews-schema/messages.xsd");
                    if (url == null) {
                        throw new IllegalStateException("/ews-schema/messages.xsd missing from the classpath");
                    }
                    try {
                        SchemaFactory f = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
                        f.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "file,jar,jar:file");
                        f.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
                        s = f.newSchema(url);
                    } catch (SAXException e) {
                        throw new IllegalStateException("cannot compile the EWS schema", e);
                    }
                    schema = s;
                }
            }
        }
        return s;
    }

    /** Validates one element (an operation or a SOAP header entry) as a document root; null when valid. */
    static SAXParseException validate(Element element) {
        Validator v = schema().newValidator();
        try {
            v.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            v.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            v.validate(new DOMSource(element));
            return null;
        } catch (SAXParseException e) {
            return e;
        } catch (SAXException | java.io.IOException e) {
            return new SAXParseException(e.getMessage(), null);
        }
    }
}
