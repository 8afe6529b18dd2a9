package dev.tether.agent.gitops;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * The continue token of a list answer, read from its first bytes: the API server writes a list's
 * metadata before its items, so the token is there long before the megabytes of objects, and the
 * next page can be asked for before this one is parsed. A list whose items come first (no API server
 * writes one) is read to its end, never guessed at.
 */
final class ListContinue {
  private ListContinue() {}

  /** The token, or empty when this is the last page. */
  static Optional<String> of(byte[] list) {
    try (JsonParser parser = KubeApi.JSON.getFactory().createParser(list)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new UncheckedIOException(new IOException("the API server's list is not a JSON object"));
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        parser.nextToken();
        if (field.equals("metadata") && parser.currentToken() == JsonToken.START_OBJECT) {
          return inMetadata(parser);
        }
        parser.skipChildren();
      }
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("the API server sent something that is not JSON", e);
    }
  }

  private static Optional<String> inMetadata(JsonParser parser) throws IOException {
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String field = parser.currentName();
      parser.nextToken();
      if (field.equals("continue") && parser.currentToken() == JsonToken.VALUE_STRING) {
        String token = parser.getText();
        return token.isEmpty() ? Optional.empty() : Optional.of(token);
      }
      parser.skipChildren();
    }
    return Optional.empty();
  }
}
