#include "app/scenario/overrides.hpp"

#include <fmt/format.h>

#include <charconv>
#include <optional>
#include <string_view>

#include "app/scenario/json_reader.hpp"
#include "app/scenario/scenario_loader.hpp"

namespace lockstage::app {

using json = nlohmann::ordered_json;

namespace {

/// The pointer's reference tokens, from the root.
std::vector<std::string> tokens_of(json::json_pointer p) {
    std::vector<std::string> out;
    while (!p.empty()) {
        out.insert(out.begin(), p.back());
        p.pop_back();
    }
    return out;
}

/// An RFC 6901 array index ("0", or digits without a leading zero); nullopt if it is not one.
std::optional<std::size_t> array_index(const std::string& token) {
    std::size_t i = 0;
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), i);
    if (token.empty() || ec != std::errc() || end != token.data() + token.size() ||
        (token.size() > 1 && token[0] == '0')) {
        return std::nullopt;
    }
    return i;
}

std::string kind_of(const json& v) {
    return v.is_null()      ? "null"
           : v.is_boolean() ? "a boolean"
           : v.is_number()  ? "a number"
                            : "a string";
}

std::string pointer_text(const json::json_pointer& p) {
    return p.empty() ? "/" : p.to_string();
}

}  // namespace

json::json_pointer parse_pointer(const std::string& file, const std::string& where,
                                 const std::string& text) {
    try {
        return json::json_pointer(text);
    } catch (const json::exception&) {
        throw ScenarioError(file, where,
                            fmt::format("expected a JSON pointer (RFC 6901: \"~\" is written "
                                        "\"~0\" and \"/\" in a name \"~1\"), got \"{}\"",
                                        text));
    }
}

Override parse_override(const std::string& arg) {
    const std::size_t eq = arg.find('=');
    const std::string shown = arg.empty() ? "\"\"" : arg;
    if (eq == std::string::npos || arg[0] != '/') {
        throw OverrideSyntaxError(
            fmt::format("--set {}: expected POINTER=VALUE, a JSON pointer starting with \"/\" and "
                        "a JSON value or a bare word (e.g. --set /backup/strategy=ftwrl)",
                        shown));
    }
    Override o;
    o.text = arg;
    try {
        o.pointer = parse_pointer("--set " + arg, "", arg.substr(0, eq));
    } catch (const ScenarioError& e) {
        throw OverrideSyntaxError(fmt::format("--set {}: {}", arg, e.detail()));
    }
    const std::string value = arg.substr(eq + 1);
    // Valid JSON is read by the reader every input shares (depth, duplicate keys); anything else
    // is the bare word itself, a string.
    if (json::accept(value)) {
        o.value = read_json(value, "--set " + arg);
    } else {
        o.value = value;
    }
    return o;
}

std::vector<Override> parse_overrides(const std::vector<std::string>& args) {
    std::vector<Override> out;
    for (const auto& a : args) {
        out.push_back(parse_override(a));
    }
    return out;
}

void json_add(json& doc, const json::json_pointer& pointer, json value, const std::string& source) {
    if (pointer.empty()) {
        doc = std::move(value);
        return;
    }
    const std::vector<std::string> tokens = tokens_of(pointer);
    json* at = &doc;
    json::json_pointer path;
    for (std::size_t k = 0; k < tokens.size(); ++k) {
        const std::string& t = tokens[k];
        const bool last = k + 1 == tokens.size();
        const json::json_pointer next = path / t;
        if (at->is_object()) {
            if (last) {
                (*at)[t] = std::move(value);
                return;
            }
            const auto it = at->find(t);
            if (it == at->end()) {
                throw ScenarioError(source, next.to_string(), "no such member");
            }
            at = &*it;
        } else if (at->is_array()) {
            const auto i = array_index(t);
            if (last && t == "-") {
                at->push_back(std::move(value));
                return;
            }
            if (!i && t != "-") {
                throw ScenarioError(source, next.to_string(),
                                    fmt::format("expected an array index (0 to {}) or \"-\", got "
                                                "\"{}\"",
                                                at->size(), t));
            }
            if (last) {
                if (*i > at->size()) {
                    throw ScenarioError(
                        source, next.to_string(),
                        fmt::format("no such element (the array has {}; an index inserts before "
                                    "its element, \"-\" or {} appends)",
                                    at->size(), at->size()));
                }
                at->insert(at->begin() + static_cast<std::ptrdiff_t>(*i), std::move(value));
                return;
            }
            if (!i || *i >= at->size()) {
                throw ScenarioError(source, next.to_string(),
                                    fmt::format("no such element (the array has {})", at->size()));
            }
            at = &(*at)[*i];
        } else {
            throw ScenarioError(source, pointer_text(path),
                                fmt::format("expected an object or array to add {} into, got {} "
                                            "({})",
                                            next.to_string(), kind_of(*at), at->dump()));
        }
        path = next;
    }
}

void apply_overrides(json& doc, const std::vector<Override>& overrides) {
    for (const auto& o : overrides) {
        json_add(doc, o.pointer, o.value, "--set " + o.text);
    }
}

std::vector<Override> recorded_overrides(const json& doc, const std::string& file,
                                         const std::string& where) {
    std::vector<Override> out;
    if (!doc.is_object() || !doc.contains("overrides")) {
        return out;
    }
    const json& list = doc.at("overrides");
    if (!list.is_array()) {
        throw ScenarioError(file, where + "/overrides",
                            fmt::format("expected an array of --set texts, got {}", list.dump()));
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string at = fmt::format("{}/overrides/{}", where, i);
        if (!list[i].is_string()) {
            throw ScenarioError(file, at,
                                fmt::format("expected a --set text, got {}", list[i].dump()));
        }
        try {
            out.push_back(parse_override(list[i].get<std::string>()));
        } catch (const OverrideSyntaxError& e) {
            throw ScenarioError(file, at, e.what());
        }
    }
    return out;
}

std::string overridden_name(const std::string& file, const std::vector<Override>& overrides) {
    if (overrides.empty()) {
        return file;
    }
    std::string out = file + " (with";
    for (const auto& o : overrides) {
        out += " --set " + o.text;
    }
    return out + ")";
}

std::vector<std::string> override_texts(const std::vector<Override>& overrides) {
    std::vector<std::string> out;
    for (const auto& o : overrides) {
        out.push_back(o.text);
    }
    return out;
}

Scenario load_scenario_file(const std::filesystem::path& path,
                            const std::vector<Override>& overrides) {
    if (overrides.empty()) {
        return load_scenario_file(path);
    }
    json doc = parse_scenario_text(read_text_file(path), path.string());
    apply_overrides(doc, overrides);
    Scenario s = load_scenario_json(std::move(doc), overridden_name(path.string(), overrides),
                                    path.parent_path());
    s.overrides = override_texts(overrides);
    return s;
}

}  // namespace lockstage::app
