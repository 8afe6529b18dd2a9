package dev.tether.agent.gitops;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes the values of a Secret out of messages about it. The API server quotes what it cannot
 * read (an illegal base64 value, a list where a string belongs), so its error about a malformed
 * Secret can carry the secret itself into sync reports, events and logs. Every value under
 * {@code data} and {@code stringData} is replaced, in each form a message could quote it (as
 * written, base64-encoded, base64-decoded, JSON-escaped, line by line), and so are the fragments in
 * which the API server and the YAML reader quote values. Keys stay: they name what failed and are
 * not secret.
 */
public final class SecretRedaction {
  static final String MASK = "***";
  private static final SecretRedaction NONE = new SecretRedaction(null);
  // A value this short is replaced only where it stands alone, or "1" would take every digit out of the message.
  private static final int SHORT = 4;
  // Where the API server and the YAML reader quote a value: Invalid value: "…", Value:…}, got …, '…'.
  private static final List<Pattern> QUOTED_VALUES = List.of(
      Pattern.compile("(Invalid value: )(\"(?:[^\"\\\\]|\\\\.)*\"|[^:,;\\n]+)"),
      Pattern.compile("(valueUnstructured\\{Value:)(.*?)(?=\\}(?:$|[\\s,;)\\]]))"),
      Pattern.compile("(got |found |value )(\"(?:[^\"\\\\]|\\\\.)*\")"),
      // A duplicate key's name stays: keys are not secret, and the message is useless without it.
      Pattern.compile("(?<!key )()('[^'\\n]*')"));

  // The Secret, or null for anything else; its values are worked out only when a message needs them, which is rare.
  private final Map<String, Object> secret;

  private SecretRedaction(Map<String, Object> secret) {
    this.secret = secret;
  }

  /** Redacts nothing: for objects that are not Secrets. */
  public static SecretRedaction none() {
    return NONE;
  }

  /** Whether an object (manifest or live) is a core Secret. */
  public static boolean isSecret(Map<String, Object> object) {
    return object != null && "v1".equals(object.get("apiVersion")) && "Secret".equals(object.get("kind"));
  }

  /** The redaction of one object's messages: its values if it is a Secret, nothing otherwise. */
  public static SecretRedaction of(Map<String, Object> object) {
    return isSecret(object) ? new SecretRedaction(object) : NONE;
  }

  /** The message with every value of the Secret replaced by {@value #MASK}; for other objects the message as it is. */
  public String redact(String message) {
    if (secret == null || message == null || message.isEmpty()) {
      return message;
    }
    Set<String> forms = new LinkedHashSet<>();
    for (String field : List.of("data", "stringData")) {
      collectForms(secret.get(field), forms);
    }
    // Longest first, so that a value inside another is not left half replaced.
    List<String> values = forms.stream().filter(v -> !v.isEmpty()).sorted(Comparator.comparingInt(String::length).reversed()).toList();
    String redacted = message;
    for (String value : values) {
      redacted = pattern(value).matcher(redacted).replaceAll(Matcher.quoteReplacement(MASK));
    }
    return withoutQuotedValues(redacted);
  }

  /**
   * The message with every quoted value replaced: for errors about a Secret whose values are not
   * known, such as a YAML error in a document that could not be read.
   */
  public static String withoutQuotedValues(String message) {
    String redacted = message;
    for (Pattern quoted : QUOTED_VALUES) {
      redacted = quoted.matcher(redacted).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK));
    }
    return redacted;
  }

  /** Every scalar below {@code value} (wrong-typed values too: a list or map under data is quoted all the same). */
  private static void collectForms(Object value, Set<String> forms) {
    if (value instanceof Map<?, ?> map) {
      map.values().forEach(v -> collectForms(v, forms));
    } else if (value instanceof List<?> list) {
      list.forEach(v -> collectForms(v, forms));
    } else if (value != null) {
      addForms(String.valueOf(value), forms);
    }
  }

  private static void addForms(String value, Set<String> forms) {
    List<String> texts = new ArrayList<>(List.of(value));
    decodedBase64(value).ifPresent(texts::add);
    for (String text : texts) {
      forms.add(text);
      forms.add(jsonEscaped(text));
      forms.add(Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8)));
      // A certificate or key is quoted line by line as often as whole.
      for (String line : text.split("\\R")) {
        if (line.strip().length() >= SHORT && !line.strip().equals(text)) {
          forms.add(line.strip());
        }
      }
    }
  }

  /** The text a base64 value stands for, when it is base64 of UTF-8 text. */
  private static java.util.Optional<String> decodedBase64(String value) {
    try {
      // As the API server reads it: line breaks are ignored, anything else outside the alphabet is an error.
      byte[] bytes = Base64.getDecoder().decode(value.replaceAll("[\\r\\n]", ""));
      if (bytes.length == 0) {
        return java.util.Optional.empty();
      }
      return java.util.Optional.of(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString());
    } catch (IllegalArgumentException | CharacterCodingException notBase64Text) {
      return java.util.Optional.empty();
    }
  }

  private static String jsonEscaped(String text) {
    try {
      String quoted = KubeApi.JSON.writeValueAsString(text);
      return quoted.substring(1, quoted.length() - 1);
    } catch (JsonProcessingException e) {
      return text;
    }
  }

  private static Pattern pattern(String value) {
    String literal = Pattern.quote(value);
    return value.length() < SHORT ? Pattern.compile("(?<![\\p{Alnum}])" + literal + "(?![\\p{Alnum}])") : Pattern.compile(literal);
  }
}
