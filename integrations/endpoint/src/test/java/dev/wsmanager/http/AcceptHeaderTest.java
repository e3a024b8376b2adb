package dev.wsmanager.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.http.MetricsEndpoint.Format;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;

class AcceptHeaderTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
            + "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1 | OPENMETRICS",
        "text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5 | PROMETHEUS",
        "*/* | PROMETHEUS",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8 | PROMETHEUS",
        "application/json | JSON",
        "Application/JSON | JSON",
        "application/json, */*;q=0.1 | JSON",
        "application/json;q=0.5, text/plain | PROMETHEUS",
        "application/json;q=0.5, text/plain;q=0.4 | JSON",
        "application/json, text/plain | PROMETHEUS",
        "application/* | OPENMETRICS",
        "text/* | PROMETHEUS",
        "image/png | PROMETHEUS",
        "application/json;q=0 | PROMETHEUS",
        "application/json;q=oops, text/plain;q=0.1 | PROMETHEUS",
        "application/json;q=7 | PROMETHEUS",
        "*/*;q=0.2, application/json;q=0.1 | PROMETHEUS",
        "application/openmetrics-text;q=0.3, application/json;q=0.2 | OPENMETRICS",
        "text/plain;q=0, */* | OPENMETRICS",
      })
  void choosesTheHighestQualityWithTiesToText(String accept, Format expected) {
    assertThat(AcceptHeader.choose(accept)).isEqualTo(expected);
  }

  @ParameterizedTest
  @NullAndEmptySource
  void noHeaderMeansPrometheusText(String accept) {
    assertThat(AcceptHeader.choose(accept)).isEqualTo(Format.PROMETHEUS);
  }
}
