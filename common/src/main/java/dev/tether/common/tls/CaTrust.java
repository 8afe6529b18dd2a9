package dev.tether.common.tls;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** TLS clients that trust one CA given as PEM text, such as a Tether server's own CA. */
public final class CaTrust {
  private CaTrust() {}

  public static SSLContext sslContext(String caPem) throws GeneralSecurityException {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    try {
      store.load(null, null);
    } catch (IOException impossible) {
      throw new IllegalStateException(impossible);
    }
    store.setCertificateEntry("ca", Pem.readCertificate(caPem));
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }
}
