package dev.tether.common.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The JSON mappers that read Kubernetes objects and what users send.
 *
 * <p>Jackson keeps every field name it reads in a symbol table shared by all parsers of one mapper, and
 * refuses a document (a StreamConstraintsException, "suspect a DoS attack based on hash collisions") once
 * too many names fall into its overflow slots. Kubernetes objects have keys without bound that look
 * alike: the inventory of a 5000-object source has 5000 data keys (and 5000 more in its managedFields)
 * that differ in a few digits, and Jackson's hash of long names adds their 4-byte groups, so such keys
 * collide. One inventory was refused by a fresh mapper with some random seeds, and once the shared
 * table was full every later read of every agent in the process failed as "not JSON". Names are not
 * canonicalized here: each name is a new String, which costs a little CPU and nothing else (Jackson's
 * maintainers advise the same for many distinct names: jackson-core#1289).
 */
public final class JsonMappers {
  private JsonMappers() {}

  /** A mapper whose parsers keep no shared table of field names. */
  public static ObjectMapper newMapper() {
    return JsonMapper.builder(JsonFactory.builder().disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES).build()).build();
  }
}
