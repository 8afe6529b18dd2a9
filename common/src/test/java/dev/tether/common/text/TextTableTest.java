package dev.tether.common.text;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TextTableTest {
  @Test
  void columnsAreAsWideAsTheirWidestCell() {
    TextTable table = new TextTable("NAME", "CONNECTED");
    table.add("production-eu", "yes");

    assertThat(table.plain()).isEqualTo("NAME            CONNECTED\nproduction-eu   yes\n");
    assertThat(table.markdown()).isEqualTo("| NAME          | CONNECTED |\n|---------------|-----------|\n| production-eu | yes       |\n");
  }
}
