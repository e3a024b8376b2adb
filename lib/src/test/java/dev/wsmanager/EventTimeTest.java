package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.ToLongFunction;
import org.junit.jupiter.api.Test;

class EventTimeTest {
  @Test
  void readsANumberOrADigitStringAtAnyDepth() {
    ToLongFunction<String> e = EventTime.jsonField("E");
    assertThat(e.applyAsLong("{\"e\":\"trade\",\"E\":1767225600123,\"s\":\"BTCUSDT\"}"))
        .isEqualTo(1767225600123L);
    assertThat(e.applyAsLong("{\"data\":{\"E\" : 42}}")).isEqualTo(42);
    ToLongFunction<String> ts = EventTime.jsonField("ts");
    assertThat(ts.applyAsLong("{\"topic\":\"t\",\"ts\":\"1767225600000\"}"))
        .isEqualTo(1767225600000L);
  }

  @Test
  void skipsTheNameWhereItIsAValueAndGivesNoneWithoutIt() {
    ToLongFunction<String> ts = EventTime.jsonField("ts");
    assertThat(ts.applyAsLong("{\"field\":\"ts\",\"ts\":7}")).isEqualTo(7);
    assertThat(ts.applyAsLong("{\"event\":\"subscribed\"}")).isEqualTo(EventTime.NONE);
    assertThat(ts.applyAsLong("{\"ts\":null}")).isEqualTo(EventTime.NONE);
    assertThat(ts.applyAsLong("{\"ts\":")).isEqualTo(EventTime.NONE);
    assertThat(ts.applyAsLong("not json")).isEqualTo(EventTime.NONE);
    assertThat(ts.applyAsLong("{\"tss\":5}")).isEqualTo(EventTime.NONE);
  }

  @Test
  void rejectsNamesItCannotMatch() {
    assertThatThrownBy(() -> EventTime.jsonField(""))
        .hasMessage("event time field name must be non-empty without quotes or backslashes, was ");
    assertThatThrownBy(() -> EventTime.jsonField("a\"b"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
