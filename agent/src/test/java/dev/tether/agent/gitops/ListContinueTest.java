package dev.tether.agent.gitops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ListContinueTest {
  private static byte[] json(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void theTokenIsReadFromTheMetadataBeforeTheItems() {
    assertThat(ListContinue.of(json("""
        {"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"42","continue":"eyJ2Ijoi","remainingItemCount":7},
         "items":[{"metadata":{"name":"a","annotations":{"continue":"not this one"}}}]}""")))
        .contains("eyJ2Ijoi");
  }

  @Test
  void theLastPageHasNone() {
    assertThat(ListContinue.of(json("{\"kind\":\"ConfigMapList\",\"metadata\":{\"resourceVersion\":\"42\"},\"items\":[]}"))).isEmpty();
    assertThat(ListContinue.of(json("{\"metadata\":{\"continue\":\"\"},\"items\":[]}"))).isEmpty();
    assertThat(ListContinue.of(json("{\"items\":[]}"))).isEmpty();
  }

  @Test
  void itemsBeforeTheMetadataAreReadPastNotMistakenForIt() {
    assertThat(ListContinue.of(json("""
        {"items":[{"metadata":{"continue":"an item's field"}}],"metadata":{"continue":"the list's"}}"""))).contains("the list's");
  }

  @Test
  void somethingElseIsAnError() {
    assertThatThrownBy(() -> ListContinue.of(json("[1,2]"))).isInstanceOf(UncheckedIOException.class);
    assertThatThrownBy(() -> ListContinue.of(json("<html>"))).isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("not JSON");
  }
}
