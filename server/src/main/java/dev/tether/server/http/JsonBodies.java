package dev.tether.server.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.tether.common.json.JsonMappers;
import io.javalin.http.Context;
import java.io.IOException;

/** The API's JSON: snake_case, dates as text, unknown fields and duplicate keys refused with a message that says which. */
final class JsonBodies {
  final ObjectMapper json = JsonMappers.newMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  /** The request's body as {@code type}; {@code whenEmpty} for an empty body, or a 400 when that is null. */
  <T> T read(Context ctx, Class<T> type, T whenEmpty) {
    byte[] bytes = ctx.bodyAsBytes();
    if (bytes.length == 0) {
      if (whenEmpty != null) {
        return whenEmpty;
      }
      throw new ApiException(400, "a JSON body is required");
    }
    try {
      return json.readValue(bytes, type);
    } catch (UnrecognizedPropertyException e) {
      throw new ApiException(400, "unknown field '" + e.getPropertyName() + "'; known fields: " + e.getKnownPropertyIds());
    } catch (JsonProcessingException e) {
      throw new ApiException(400, "the body is not valid JSON for this request: " + e.getOriginalMessage()
          + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")" : ""));
    } catch (IOException e) {
      throw new ApiException(400, "cannot read the body: " + e.getMessage());
    }
  }

  /** An integer query parameter, or {@code otherwise} when it is absent. */
  static int intParam(Context ctx, String name, int otherwise) {
    String text = ctx.queryParam(name);
    if (text == null) {
      return otherwise;
    }
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new ApiException(400, name + " must be a number, not '" + text + "'");
    }
  }
}
