package dev.wsmanager.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses JSON with jackson-core into maps, lists, strings, longs, doubles, booleans and nulls, and
 * fails on trailing content, so tests check the document a client would read.
 */
final class Json {
  private static final JsonFactory FACTORY = new JsonFactory();

  private Json() {}

  static Map<String, Object> parseObject(byte[] json) {
    try (JsonParser p = FACTORY.createParser(json)) {
      Object value = read(p, p.nextToken());
      if (p.nextToken() != null) {
        throw new AssertionError("trailing content after the JSON document");
      }
      if (!(value instanceof Map)) {
        throw new AssertionError("expected a JSON object, got " + value);
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> object = (Map<String, Object>) value;
      return object;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Object read(JsonParser p, JsonToken token) throws IOException {
    switch (token) {
      case START_OBJECT:
        Map<String, Object> object = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          if (object.put(name, read(p, p.nextToken())) != null) {
            throw new AssertionError("duplicate field " + name);
          }
        }
        return object;
      case START_ARRAY:
        List<Object> array = new ArrayList<>();
        JsonToken next;
        while ((next = p.nextToken()) != JsonToken.END_ARRAY) {
          array.add(read(p, next));
        }
        return array;
      case VALUE_STRING:
        return p.getText();
      case VALUE_NUMBER_INT:
        return p.getLongValue();
      case VALUE_NUMBER_FLOAT:
        return p.getDoubleValue();
      case VALUE_TRUE:
        return true;
      case VALUE_FALSE:
        return false;
      case VALUE_NULL:
        return null;
      default:
        throw new AssertionError("unexpected token " + token);
    }
  }
}
