#include "app/scenario/schema_validator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <regex>
#include <set>
#include <stdexcept>
#include <string_view>

namespace lockstage::app {

namespace {

using OJson = nlohmann::ordered_json;
using Result = std::optional<ValidationError>;

constexpr std::size_t kMaxShown = 40;  // longer rendered values are cut to this many characters

// The keywords this validator knows; any other (except "x-...") is refused.
const std::set<std::string, std::less<>> kKeywords = {
    // annotations, ignored ("default" is used for filling)
    "$schema", "$id", "$comment", "title", "description", "examples", "default", "deprecated",
    // any value
    "type", "enum", "const", "oneOf", "$ref", "$defs",
    // objects
    "properties", "required", "additionalProperties", "minProperties",
    // numbers
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    // strings
    "minLength", "maxLength", "pattern",
    // arrays
    "items", "minItems", "maxItems", "uniqueItems"};
const std::set<std::string, std::less<>> kTypes = {"object",  "array",   "string", "number",
                                                   "integer", "boolean", "null"};
// Numeric bound keywords and the comparison the value must satisfy.
constexpr std::pair<const char*, std::string_view> kBounds[] = {
    {"minimum", ">="}, {"exclusiveMinimum", ">"}, {"maximum", "<="}, {"exclusiveMaximum", "<"}};

const OJson kNoProperties = OJson::object();

/// a < b for two JSON numbers, exactly: nlohmann's operator< compares a double with a 64-bit
/// integer as doubles (2^64 read as 1.8446744073709552e19 equals 2^64 - 1) and a negative integer
/// with an unsigned one by casting it. A long double holds every int64, uint64 and double.
bool number_less(const OJson& a, const OJson& b) {
    const auto exact = [](const OJson& v) {
        return v.is_number_unsigned()  ? static_cast<long double>(v.get<std::uint64_t>())
               : v.is_number_integer() ? static_cast<long double>(v.get<std::int64_t>())
                                       : static_cast<long double>(v.get<double>());
    };
    return exact(a) < exact(b);
}
const OJson kAnything = true;

std::string child(const std::string& ptr, std::string_view key) {
    std::string out = ptr + "/";
    for (const char c : key) {
        out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
    }
    return out;
}

bool is_utf8_lead(char c) {
    return (c & 0xC0) != 0x80;
}

// Compact JSON of `v`, cut to kMaxShown characters with "…".
std::string render(const OJson& v) {
    std::string s = v.dump(-1, ' ', false, OJson::error_handler_t::replace);
    std::size_t chars = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (is_utf8_lead(s[i]) && ++chars > kMaxShown) {
            return s.substr(0, i) + "…";
        }
    }
    return s;
}

std::string quote(const std::string& s) {
    return OJson(s).dump();
}

// How a value is named after "got" in a type error: strings show their text, containers only
// their kind.
std::string describe(const OJson& v) {
    return v.is_string()   ? "a string (" + render(v) + ")"
           : v.is_object() ? "an object"
           : v.is_array()  ? "an array"
                           : render(v);
}

std::string type_noun(const std::string& type) {
    const bool vowel = type == "object" || type == "array" || type == "integer";
    return type == "null" ? type : (vowel ? "an " : "a ") + type;
}

std::string plural(std::uint64_t n, std::string_view word) {
    return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// 5 and 5.0 are integers, as in JSON Schema.
bool is_integral(const OJson& v) {
    const auto d = v.is_number_float() ? v.get<double>() : 0.0;
    return v.is_number_integer() || (v.is_number_float() && std::isfinite(d) && d == std::floor(d));
}

bool has_type(const OJson& v, const std::string& type) {
    return type == "object"    ? v.is_object()
           : type == "array"   ? v.is_array()
           : type == "string"  ? v.is_string()
           : type == "number"  ? v.is_number()
           : type == "integer" ? is_integral(v)
           : type == "boolean" ? v.is_boolean()
                               : v.is_null();
}

template <class... Args>
Result error(const std::string& ptr, fmt::format_string<Args...> format, Args&&... args) {
    return ValidationError{ptr, fmt::format(format, std::forward<Args>(args)...)};
}

// JSON Schema equality: numbers by value (1 == 1.0), objects regardless of key order.
bool same(const OJson& a, const OJson& b) {
    return nlohmann::json(a) == nlohmann::json(b);
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
    const std::string match = closest_match(word, candidates);
    return match.empty() ? "" : fmt::format(" (did you mean {}?)", quote(match));
}

// `expected one of "a", "b", got "x"`, with a hint when `got` is a near-miss string.
std::string one_of_message(const OJson& allowed, const OJson& got) {
    std::vector<std::string> shown;
    std::vector<std::string> words;
    for (const auto& a : allowed) {
        shown.push_back(render(a));
        if (a.is_string()) {
            words.push_back(a.get<std::string>());
        }
    }
    return fmt::format("expected one of {}, got {}{}", fmt::join(shown, ", "), render(got),
                       got.is_string() ? did_you_mean(got.get<std::string>(), words) : "");
}

[[noreturn]] void refuse(const std::string& ptr, const std::string& what) {
    throw std::invalid_argument("schema: " + what + " at " + (ptr.empty() ? "the root" : ptr));
}

// The schema behind "#/$defs/NAME", or nullptr.
const OJson* lookup_ref(const OJson& root, const OJson& ref) {
    constexpr std::string_view prefix = "#/$defs/";
    const auto defs = root.find("$defs");
    if (!ref.is_string() || !ref.get<std::string>().starts_with(prefix) || defs == root.end()) {
        return nullptr;
    }
    const auto target = defs->find(ref.get<std::string>().substr(prefix.size()));
    return target == defs->end() ? nullptr : &*target;
}

}  // namespace

namespace detail {

// The schema, checked once when built; validates documents and fills their defaults in one pass
// (the caller works on a copy and keeps it only if it is valid).
class CompiledSchema {
  public:
    explicit CompiledSchema(OJson schema) : root_(std::move(schema)) {
        check(root_, "");
        std::vector<const OJson*> path;
        const OJson& defs = root_.contains("$defs") ? root_["$defs"] : kNoProperties;
        for (const auto& [name, def] : defs.items()) {
            check_cycles(def, child("/$defs", name), path);
        }
    }

    const OJson& root() const { return root_; }

    Result validate(const OJson& s, OJson& doc, const std::string& ptr) const {
        if (s.is_boolean()) {
            return s == true ? std::nullopt : error(ptr, "no value is allowed here");
        }
        // Each step runs only while the previous ones found nothing.
        Result e = s.contains("$ref") ? validate(ref(s), doc, ptr) : std::nullopt;
        if (!e && (e = validate_value(s, doc, ptr)) && s.contains("x-why")) {
            // A limit with a reason the user cannot guess (the real server's range): say it.
            e->message += fmt::format(" ({})", s["x-why"].get<std::string>());
        }
        e = e || !doc.is_array() ? e : validate_array(s, doc, ptr);
        e = e || !doc.is_object() ? e : validate_object(s, doc, ptr);
        return e || !s.contains("oneOf") ? e : validate_one_of(s["oneOf"], doc, ptr);
    }

    // See SchemaValidator::max_items; `at` tokens are consumed.
    std::size_t max_items(const OJson& s, const std::vector<std::string>& tokens,
                          std::size_t at) const {
        constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
        const OJson& r = resolved(s);
        if (!r.is_object()) {
            return kNone;
        }
        std::size_t bound = kNone;
        if (at == tokens.size()) {
            bound = r.value("maxItems", kNone);
        } else if (const auto& t = tokens[at];
                   r.contains("items") && !t.empty() &&
                   std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            bound = max_items(r["items"], tokens, at + 1);
        } else if (r.contains("properties") && r["properties"].contains(t)) {
            bound = max_items(r["properties"][t], tokens, at + 1);
        } else if (r.contains("additionalProperties")) {
            bound = max_items(r["additionalProperties"], tokens, at + 1);
        }
        if (r.contains("oneOf")) {
            std::size_t loosest = 0;
            for (const auto& b : r["oneOf"]) {
                loosest = std::max(loosest, max_items(b, tokens, at));
            }
            bound = std::min(bound, loosest);
        }
        return bound;
    }

  private:
    // Refuses unknown keywords and malformed keyword values; compiles the patterns.
    void check(const OJson& s, const std::string& ptr) {
        if (s.is_boolean()) {
            return;
        }
        if (!s.is_object()) {
            refuse(ptr, "expected a schema (an object or a boolean)");
        }
        for (const auto& item : s.items()) {
            const std::string& k = item.key();
            const OJson& v = item.value();
            const std::string at = child(ptr, k);
            const auto expect = [&](bool ok, std::string_view what) {
                if (!ok) {
                    refuse(at, fmt::format("keyword \"{}\" expects {}", k, what));
                }
            };
            const bool list = v.is_array() && !v.empty();  // most array values must not be empty
            const auto all = [&](const auto& pred) {
                return list && std::all_of(v.begin(), v.end(), pred);
            };
            const auto type_name = [](const OJson& t) {
                return t.is_string() && kTypes.contains(t);
            };
            if (!kKeywords.contains(k) && !k.starts_with("x-")) {
                refuse(at, fmt::format("unsupported keyword \"{}\"", k));
            }
            if (k == "type") {
                expect(type_name(v) || all(type_name), "a type name or an array of them");
            } else if (k == "properties" || k == "$defs" || k == "oneOf") {
                expect(k == "oneOf" ? list : v.is_object(),
                       k == "oneOf" ? "a non-empty array of schemas" : "an object of schemas");
                for (const auto& [name, sub] : v.items()) {
                    check(sub, child(at, name));
                }
            } else if (k == "additionalProperties" || k == "items") {
                check(v, at);
            } else if (k == "required") {
                expect(v == OJson::array() || all([](const OJson& r) { return r.is_string(); }),
                       "an array of strings");
            } else if (k.ends_with("imum")) {
                expect(v.is_number(), "a number");
            } else if (k.starts_with("min") || k.starts_with("max")) {
                expect(is_integral(v) && v >= 0, "a non-negative integer");
            } else if (k == "enum") {
                expect(list, "a non-empty array");
            } else if (k == "uniqueItems") {
                expect(v.is_boolean(), "a boolean");
            } else if (k == "pattern") {
                expect(v.is_string(), "a string");
                try {
                    patterns_.emplace(v.get<std::string>(), std::regex(v.get<std::string>()));
                } catch (const std::regex_error& e) {
                    refuse(at, fmt::format("invalid pattern {}: {}", quote(v), e.what()));
                }
            } else if (k == "$ref") {
                expect(lookup_ref(root_, v) != nullptr,
                       "\"#/$defs/NAME\" naming an existing $defs entry");
            }
        }
    }

    // Refuses $ref cycles that would not consume any of the document (a -> oneOf -> $ref a);
    // run from every $defs entry, since every such cycle goes through one.
    void check_cycles(const OJson& s, const std::string& ptr,
                      std::vector<const OJson*>& path) const {
        if (!s.is_object()) {
            return;
        }
        path.push_back(&s);
        if (s.contains("$ref")) {
            if (std::find(path.begin(), path.end(), &ref(s)) != path.end()) {
                refuse(child(ptr, "$ref"), "cyclic $ref");
            }
            check_cycles(ref(s), s["$ref"].get<std::string>().substr(1), path);
        }
        for (std::size_t i = 0; s.contains("oneOf") && i < s["oneOf"].size(); ++i) {
            check_cycles(s["oneOf"][i], child(child(ptr, "oneOf"), std::to_string(i)), path);
        }
        path.pop_back();
    }

    const OJson& ref(const OJson& s) const { return *lookup_ref(root_, s["$ref"]); }

    // The schema with its $refs followed.
    const OJson& resolved(const OJson& s) const {
        return s.is_object() && s.contains("$ref") ? resolved(ref(s)) : s;
    }

    const OJson* default_of(const OJson& s) const {
        if (s.is_object() && s.contains("default")) {
            return &s["default"];
        }
        return s.is_object() && s.contains("$ref") ? default_of(ref(s)) : nullptr;
    }

    // Checks a count against minSUFFIX/maxSUFFIX: "at least 2 items", "at most 1 key", or "".
    static std::string count_error(const OJson& s, std::uint64_t n, const std::string& suffix,
                                   std::string_view unit) {
        const auto lo = s.value("min" + suffix, std::uint64_t{0});
        const auto hi = s.value("max" + suffix, std::numeric_limits<std::uint64_t>::max());
        return n < lo   ? "at least " + plural(lo, unit)
               : n > hi ? "at most " + plural(hi, unit)
                        : "";
    }

    // "an integer" if the schema's type says integer (and not number), else "a number".
    static std::string_view number_noun(const OJson& s) {
        const OJson types = s.value("type", OJson::array());
        const auto has = [&](const char* type) {
            return types == type || std::find(types.begin(), types.end(), type) != types.end();
        };
        return has("integer") && !has("number") ? "an integer" : "a number";
    }

    // type, const, enum, and the number and string keywords.
    Result validate_value(const OJson& s, const OJson& doc, const std::string& ptr) const {
        if (const auto t = s.find("type"); t != s.end()) {
            const auto types = t->is_array() ? t->get<std::vector<std::string>>()
                                             : std::vector<std::string>{t->get<std::string>()};
            if (std::none_of(types.begin(), types.end(),
                             [&](const std::string& type) { return has_type(doc, type); })) {
                std::vector<std::string> nouns;
                std::transform(types.begin(), types.end(), std::back_inserter(nouns), type_noun);
                const std::string last = nouns.back();
                nouns.pop_back();
                return error(ptr, "expected {}{}, got {}",
                             nouns.empty() ? "" : fmt::format("{} or ", fmt::join(nouns, ", ")),
                             last, describe(doc));
            }
        }
        if (const auto c = s.find("const"); c != s.end() && !same(doc, *c)) {
            return error(ptr, "expected {}, got {}", render(*c), render(doc));
        }
        if (const auto en = s.find("enum");
            en != s.end() &&
            std::none_of(en->begin(), en->end(), [&](const OJson& a) { return same(doc, a); })) {
            return error(ptr, "{}", one_of_message(*en, doc));
        }
        for (const auto& [key, op] : kBounds) {
            if (!doc.is_number() || !s.contains(key)) {
                continue;
            }
            const OJson& bound = s[key];
            const bool ok = op == ">="   ? !number_less(doc, bound)
                            : op == ">"  ? number_less(bound, doc)
                            : op == "<=" ? !number_less(bound, doc)
                                         : number_less(doc, bound);
            if (!ok) {
                return error(ptr, "expected {} {} {}, got {}", number_noun(s), op, render(bound),
                             render(doc));
            }
        }
        if (!doc.is_string()) {
            return std::nullopt;
        }
        const auto& text = doc.get_ref<const std::string&>();
        const auto n =
            static_cast<std::uint64_t>(std::count_if(text.begin(), text.end(), is_utf8_lead));
        if (const std::string bad = count_error(s, n, "Length", "character"); !bad.empty()) {
            return error(ptr, "expected a string of {}, got {}", bad, render(doc));
        }
        if (const auto p = s.find("pattern");
            p != s.end() && !std::regex_search(text, patterns_.at(p->get<std::string>()))) {
            return error(ptr, "expected a string matching {}, got {}", p->get<std::string>(),
                         render(doc));
        }
        return std::nullopt;
    }

    Result validate_array(const OJson& s, OJson& doc, const std::string& ptr) const {
        if (const std::string bad = count_error(s, doc.size(), "Items", "item"); !bad.empty()) {
            return error(ptr, "expected {}, got {}", bad, doc.size());
        }
        if (s.value("uniqueItems", false)) {
            // Each item's first index, in a map ordered as `same` compares (nlohmann::json: numbers
            // by value, objects by sorted keys): n log n, where comparing every pair took 8 s for
            // 30,000 items.
            std::map<nlohmann::json, std::size_t> first;
            for (std::size_t i = 0; i < doc.size(); ++i) {
                if (const auto [at, fresh] = first.emplace(nlohmann::json(doc[i]), i); !fresh) {
                    return error(ptr, "expected unique items, item {} repeats item {}", i,
                                 at->second);
                }
            }
        }
        for (std::size_t i = 0; s.contains("items") && i < doc.size(); ++i) {
            if (Result e = validate(s["items"], doc[i], child(ptr, std::to_string(i)))) {
                return e;
            }
        }
        return std::nullopt;
    }

    // Unknown keys first (a misspelt required key is reported as the typo it is, with its
    // "did you mean"), then required (in schema order), minProperties, the values in document
    // order, then defaults.
    Result validate_object(const OJson& s, OJson& doc, const std::string& ptr) const {
        const OJson& props = s.contains("properties") ? s["properties"] : kNoProperties;
        const OJson& extra =
            s.contains("additionalProperties") ? s["additionalProperties"] : kAnything;
        if (extra == false) {
            for (const auto& [k, v] : doc.items()) {
                if (props.contains(k)) {
                    continue;
                }
                std::vector<std::string> known;
                for (const auto& [name, _] : props.items()) {
                    known.push_back(name);
                }
                const std::string expected =
                    known.empty() ? "no keys are allowed here"
                                  : fmt::format("expected one of: {}{}", fmt::join(known, ", "),
                                                did_you_mean(k, known));
                return error(child(ptr, k), "unknown key {}; {}", quote(k), expected);
            }
        }
        for (const auto& r : s.value("required", OJson::array())) {
            if (!doc.contains(r.get<std::string>())) {
                return error(ptr, "missing required key {}", quote(r));
            }
        }
        if (const std::string bad = count_error(s, doc.size(), "Properties", "key"); !bad.empty()) {
            return error(ptr, "expected {}", bad);
        }
        for (auto& [k, v] : doc.items()) {
            if (Result e = validate(props.contains(k) ? props[k] : extra, v, child(ptr, k))) {
                return e;
            }
        }
        for (const auto& [k, sub] : props.items()) {
            if (const OJson* d = default_of(sub); d != nullptr && !doc.contains(k)) {
                doc[k] = *d;  // then validated, which fills the default's own defaults
                if (Result e = validate(sub, doc[k], child(ptr, k))) {
                    return e;
                }
            }
        }
        return std::nullopt;
    }

    // The value branch `b` requires for `key` (properties.KEY.const), or nullptr.
    const OJson* tag_of(const OJson& b, const std::string& key) const {
        const OJson::json_pointer p(child("/properties", key) + "/const");
        return resolved(b).contains(p) ? &resolved(b).at(p) : nullptr;
    }

    // The key K that every branch fixes with properties.K.const, or "".
    std::string discriminator(const OJson& branches) const {
        const OJson& first = resolved(branches.front());
        const OJson& props =
            first.is_object() && first.contains("properties") ? first["properties"] : kNoProperties;
        for (const auto& item : props.items()) {
            if (std::all_of(branches.begin(), branches.end(),
                            [&](const OJson& b) { return tag_of(b, item.key()) != nullptr; })) {
                return item.key();
            }
        }
        return "";
    }

    Result validate_one_of(const OJson& branches, OJson& doc, const std::string& ptr) const {
        if (const std::string key = discriminator(branches); !key.empty()) {
            if (!doc.is_object()) {
                return error(ptr, "expected an object, got {}", describe(doc));
            }
            if (!doc.contains(key)) {
                return error(ptr, "missing required key {}", quote(key));
            }
            OJson tags = OJson::array();
            for (const auto& b : branches) {
                if (same(doc[key], *tag_of(b, key))) {
                    return validate(b, doc, ptr);
                }
                tags.push_back(*tag_of(b, key));
            }
            return error(child(ptr, key), "{}", one_of_message(tags, doc[key]));
        }
        const auto depth = [](const std::string& p) { return std::count(p.begin(), p.end(), '/'); };
        std::vector<std::size_t> matched;  // 1-based, as in the message
        Result closest;
        std::size_t closest_index = 0;
        OJson match;  // the document as filled by the matching branch
        for (std::size_t i = 0; i < branches.size(); ++i) {
            OJson copy = doc;
            if (Result e = validate(branches[i], copy, ptr); !e) {
                matched.push_back(i + 1);
                match = std::move(copy);
            } else if (!closest || depth(e->pointer) > depth(closest->pointer)) {  // got further
                closest = std::move(e);
                closest_index = i + 1;
            }
        }
        constexpr std::string_view lead = "expected exactly one of the alternatives to match";
        if (matched.size() == 1) {
            doc = std::move(match);
            return std::nullopt;
        }
        if (!matched.empty()) {
            return error(ptr, "{}, {} did (alternatives {})", lead, matched.size(),
                         fmt::join(matched, ", "));
        }
        const std::string where = closest->pointer == ptr ? "" : ", at " + closest->pointer;
        return error(ptr, "{}, none did (closest: alternative {}{}: {})", lead, closest_index,
                     where, closest->message);
    }

    OJson root_;
    std::map<std::string, std::regex> patterns_;  // every "pattern" of the schema, compiled once
};

}  // namespace detail

SchemaValidator::SchemaValidator(nlohmann::json schema)
    : SchemaValidator(nlohmann::ordered_json(schema)) {}

SchemaValidator::SchemaValidator(nlohmann::ordered_json schema)
    : schema_(std::make_shared<const detail::CompiledSchema>(std::move(schema))) {}

std::optional<ValidationError> SchemaValidator::validate_and_fill(nlohmann::json& doc) const {
    OJson copy(doc);  // keys in nlohmann::json's sorted order
    Result e = validate_and_fill(copy);
    if (!e) {
        doc = nlohmann::json(copy);
    }
    return e;
}

std::optional<ValidationError> SchemaValidator::validate_and_fill(OJson& doc) const {
    OJson copy = doc;  // filled while validated; kept only if valid
    Result e = schema_->validate(schema_->root(), copy, "");
    if (!e) {
        doc = std::move(copy);
    }
    return e;
}

std::size_t SchemaValidator::max_items(const std::vector<std::string>& tokens) const {
    return schema_->max_items(schema_->root(), tokens, 0);
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
    const auto distance = [](const std::string& a, const std::string& b) {  // Levenshtein
        std::vector<std::size_t> row(b.size() + 1);
        std::iota(row.begin(), row.end(), std::size_t{0});
        for (std::size_t i = 1; i <= a.size(); ++i) {
            std::size_t diagonal = row[0];
            row[0] = i;
            for (std::size_t j = 1; j <= b.size(); ++j) {
                const std::size_t up = row[j];
                row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
                diagonal = up;
            }
        }
        return row[b.size()];
    };
    const std::string* best = nullptr;
    std::size_t best_distance = std::numeric_limits<std::size_t>::max();
    for (const auto& c : candidates) {
        const std::size_t d = distance(word, c);
        const auto& shorter = word.size() <= c.size() ? word : c;
        const bool prefix = shorter.size() >= 3 && (word.starts_with(c) || c.starts_with(word));
        if ((d <= 2 || prefix) && d < best_distance) {
            best = &c;
            best_distance = d;
        }
    }
    return best != nullptr ? *best : "";
}

}  // namespace lockstage::app
