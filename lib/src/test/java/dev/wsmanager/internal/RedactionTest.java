package dev.wsmanager.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

class RedactionTest {
  @Test
  void scrubRemovesSecretsQuotedInFreeText() {
    URI uri = URI.create("wss://alice:s3cr3t@h.example/ws?apikey=AKIA123&v=1");
    String message = "failed to reach wss://alice:s3cr3t@h.example/ws?apikey=AKIA123&v=1 (AKIA123)";
    String clean = Redaction.scrub(message, uri);
    assertThat(clean).doesNotContain("s3cr3t").doesNotContain("AKIA123").contains("h.example");
    assertThat(clean).contains("v=1"); // short values are not hunted in free text
    assertThat(Redaction.scrub(null, uri)).isNull();
  }

  @Test
  void printableEscapesControlCharactersSoIdsCannotForgeLogLines() {
    assertThat(Redaction.printable("plain-id ü")).isEqualTo("plain-id ü");
    assertThat(Redaction.printable("a\nFAKE LOG LINE\r\t\u0007"))
        .isEqualTo("a\\nFAKE LOG LINE\\r\\t\\u0007");
  }
}
