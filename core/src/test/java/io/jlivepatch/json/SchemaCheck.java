package io.jlivepatch.json;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a parsed JSON value against a JSON Schema (draft 2020-12) that uses only the keywords
 * jlivepatch's schemas use: {@code type} (one or a list), {@code properties}, {@code required},
 * {@code additionalProperties} ({@code false} or a schema), {@code items} (a schema or {@code false}),
 * {@code enum}, {@code minimum}, {@code $ref} to {@code #/$defs/...}, {@code if}/{@code then}/{@code else};
 * annotations ({@code title},
 * {@code description}, {@code format}, {@code $schema}, {@code $id}, {@code $defs}) are read past.
 * Any other keyword fails the check, so that a schema cannot rely on something not checked here.
 */
public final class SchemaCheck {

    private static final Set<String> KEYWORDS = Set.of("type", "properties", "required", "additionalProperties",
            "items", "enum", "minimum", "$ref", "if", "then", "else", "title", "description", "format", "$schema",
            "$id", "$defs");

    private final Map<String, Object> root;
    private final List<String> problems = new ArrayList<>();

    private SchemaCheck(Map<String, Object> root) {
        this.root = root;
    }

    /** Every way {@code value} departs from {@code schema}, each with its JSON pointer; empty when it conforms. */
    public static List<String> problems(Map<String, Object> schema, Object value) {
        SchemaCheck c = new SchemaCheck(schema);
        c.check(schema, value, "");
        return c.problems;
    }

    @SuppressWarnings("unchecked")
    private void check(Map<String, Object> schema, Object value, String at) {
        for (String k : schema.keySet()) {
            if (!KEYWORDS.contains(k)) {
                problems.add(at + ": the schema uses '" + k + "', which this check does not know");
            }
        }
        if (schema.containsKey("$ref")) {
            String ref = (String) schema.get("$ref");
            if (!ref.startsWith("#/$defs/")) {
                problems.add(at + ": unsupported $ref " + ref);
                return;
            }
            Map<String, Object> defs = (Map<String, Object>) root.get("$defs");
            Map<String, Object> target = defs == null ? null : (Map<String, Object>) defs.get(ref.substring(8));
            if (target == null) {
                problems.add(at + ": no definition for " + ref);
                return;
            }
            check(target, value, at);
        }
        if (schema.containsKey("if")) {
            SchemaCheck condition = new SchemaCheck(root); // its problems only choose the branch
            condition.check((Map<String, Object>) schema.get("if"), value, at);
            Object branch = schema.get(condition.problems.isEmpty() ? "then" : "else");
            if (branch instanceof Map) {
                check((Map<String, Object>) branch, value, at);
            }
        }
        Object type = schema.get("type");
        if (type != null) {
            List<Object> types = type instanceof List ? (List<Object>) type : List.of(type);
            if (!types.contains(typeOf(value)) && !(typeOf(value).equals("integer") && types.contains("number"))) {
                problems.add(at + ": " + typeOf(value) + " where " + types + " expected");
                return;
            }
        }
        if (schema.containsKey("enum") && !((List<Object>) schema.get("enum")).contains(value)) {
            problems.add(at + ": " + value + " is not one of " + schema.get("enum"));
        }
        if (schema.containsKey("minimum") && value instanceof Number
                && ((Number) value).doubleValue() < ((Number) schema.get("minimum")).doubleValue()) {
            problems.add(at + ": " + value + " is below the minimum " + schema.get("minimum"));
        }
        if (value instanceof Map) {
            Map<String, Object> object = (Map<String, Object>) value;
            Map<String, Object> properties = (Map<String, Object>) schema.getOrDefault("properties", Map.of());
            for (Object r : (List<Object>) schema.getOrDefault("required", List.of())) {
                if (!object.containsKey(r)) {
                    problems.add(at + ": required key '" + r + "' missing");
                }
            }
            Object additional = schema.get("additionalProperties");
            for (Map.Entry<String, Object> e : object.entrySet()) {
                String path = at + "/" + e.getKey();
                Map<String, Object> sub = (Map<String, Object>) properties.get(e.getKey());
                if (sub != null) {
                    check(sub, e.getValue(), path);
                } else if (Boolean.FALSE.equals(additional)) {
                    problems.add(path + ": a key the schema does not describe");
                } else if (additional instanceof Map) {
                    check((Map<String, Object>) additional, e.getValue(), path);
                }
            }
        }
        if (value instanceof List && Boolean.FALSE.equals(schema.get("items")) && !((List<Object>) value).isEmpty()) {
            problems.add(at + ": " + ((List<Object>) value).size() + " items where the schema allows none");
        }
        if (value instanceof List && schema.get("items") instanceof Map) {
            List<Object> list = (List<Object>) value;
            for (int i = 0; i < list.size(); i++) {
                check((Map<String, Object>) schema.get("items"), list.get(i), at + "/" + i);
            }
        }
    }

    private static String typeOf(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof Map) {
            return "object";
        }
        if (value instanceof List) {
            return "array";
        }
        if (value instanceof String) {
            return "string";
        }
        if (value instanceof Boolean) {
            return "boolean";
        }
        if (value instanceof Long) {
            return "integer";
        }
        return "number";
    }
}
