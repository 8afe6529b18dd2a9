package dev.tether.server.replica;

import dev.tether.common.tls.Pem;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * TLS to one replica that trusts exactly the certificate that replica published in its row, and
 * nothing else: no CA, and no host name check (the pin is stronger; replicas may be dialled by address).
 */
final class PinnedReplicaTls {
  private PinnedReplicaTls() {}

  static SSLContext trusting(String certificatePem) {
    try {
      X509Certificate pinned = Pem.readCertificate(certificatePem);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {new Pin(pinned)}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot use a replica's published certificate: " + e.getMessage(), e);
    }
  }

  private static final class Pin extends X509ExtendedTrustManager {
    private final X509Certificate pinned;

    Pin(X509Certificate pinned) {
      this.pinned = pinned;
    }

    private void check(X509Certificate[] chain) throws CertificateException {
      if (chain == null || chain.length == 0 || !chain[0].equals(pinned)) {
        throw new CertificateException("the replica presented a certificate other than the one it published in the database");
      }
    }

    @Override public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException { check(chain); }
    @Override public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      check(chain);
    }
    @Override public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      check(chain);
    }
    @Override public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("replica connections carry no client certificate");
    }
    @Override public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      checkClientTrusted(chain, authType);
    }
    @Override public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      checkClientTrusted(chain, authType);
    }
    @Override public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
