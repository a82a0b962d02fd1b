package io.baton.proxy;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.io.File;
import javax.net.ssl.SSLException;

/** TLS for the client side (a configured certificate, or a self-signed one made at start) and the backend side. */
public final class TlsContexts {
    private TlsContexts() {
    }

    public static SslContext server(String certFile, String keyFile) {
        try {
            if (certFile != null) {
                return SslContextBuilder.forServer(new File(certFile), new File(keyFile)).build();
            }
            SelfSignedCertificate ssc = new SelfSignedCertificate("baton");
            return SslContextBuilder.forServer(ssc.certificate(), ssc.privateKey()).build();
        } catch (SSLException | java.security.cert.CertificateException e) {
            throw new IllegalStateException("cannot set up TLS for clients: " + e.getMessage(), e);
        }
    }

    /** The backend's certificate is not verified: the servers are the operator's own, on a trusted network. */
    public static SslContext backend() {
        try {
            return SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS to the backends: " + e.getMessage(), e);
        }
    }
}
