package dev.tether.server.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.common.json.JsonMappers;
import dev.tether.server.secrets.SecretBox;
import java.util.Map;

/** Credentials as the stores keep them: a map of strings, as JSON, sealed with the server's key. */
final class SealedCredentials {
  private static final ObjectMapper JSON = JsonMappers.newMapper();

  private final SecretBox secrets;
  /** What the credentials belong to, for the error when a stored value cannot be read. */
  private final String whose;

  SealedCredentials(SecretBox secrets, String whose) {
    this.secrets = secrets;
    this.whose = whose;
  }

  String seal(Map<String, String> credentials) {
    try {
      return secrets.seal(JSON.writeValueAsString(credentials));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  Map<String, String> open(String sealed) {
    try {
      return JSON.readValue(secrets.open(sealed), new TypeReference<>() {});
    } catch (JsonProcessingException e) {
      throw new StoreException("stored " + whose + " credentials are unreadable", e);
    }
  }
}
