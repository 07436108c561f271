#include "app/scenario/json_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <unordered_set>

#include "app/scenario/scenario_loader.hpp"

namespace lockstage::app {

namespace {

using json = nlohmann::ordered_json;

std::string escape_pointer_token(std::string_view key) {
    std::string out;
    for (const char c : key) {
        out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
    }
    return out;
}

// nlohmann's SAX events to a document. Its own DOM builder with a parser callback (used before)
// scanned the whole enclosing array after every object to drop discarded values, so an array of
// n objects took n^2/2 steps (200,000 objects: 7.7 s); this one appends in O(1), keeps the open
// containers on an explicit stack, and checks depth, duplicate keys and item bounds as it goes.
class Builder {
  public:
    Builder(std::string_view text, const std::string& file, const ItemLimit& limit)
        : text_(text), file_(file), limit_(limit) {}

    json take() { return std::move(root_); }

    bool null() { return add(json(nullptr)); }
    bool boolean(bool b) { return add(json(b)); }
    bool number_integer(json::number_integer_t v) { return add(json(v)); }
    bool number_unsigned(json::number_unsigned_t v) { return add(json(v)); }
    bool number_float(json::number_float_t v, const json::string_t&) { return add(json(v)); }
    bool string(json::string_t& s) { return add(json(std::move(s))); }
    bool binary(json::binary_t& b) { return add(json::binary(std::move(b))); }
    bool start_object(std::size_t) { return open(json::object()); }
    bool start_array(std::size_t) { return open(json::array()); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }

    bool key(json::string_t& k) {
        Frame& f = stack_.back();
        if (!f.keys.insert(k).second) {
            throw ScenarioError(file_,
                                pointer(stack_.size() - 1, false) + "/" + escape_pointer_token(k),
                                fmt::format("duplicate key \"{}\"", k));
        }
        f.key = std::move(k);
        return true;
    }

    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
        if (e.id == 406) {
            // A number beyond a double ("number overflow parsing '1e999'"): well-formed JSON, so
            // it is named by its pointer: the member being read, or the next item of an array.
            const std::string what = e.what();
            const auto open = what.find('\'');
            const auto close = what.rfind('\'');
            std::string number = open != std::string::npos && close > open
                                     ? what.substr(open + 1, close - open - 1)
                                     : "";
            if (number.size() > 40) {  // 100,000 digits are not repeated back whole
                number = number.substr(0, 40) + "…";
            }
            throw ScenarioError(file_, pointer(stack_.size(), true),
                                fmt::format("expected a number a double can hold (within "
                                            "1.7e308), got {}",
                                            number));
        }
        // Line and column of the byte where parsing stopped (1-based).
        const auto* pe = dynamic_cast<const json::parse_error*>(&e);
        const std::size_t byte = pe != nullptr ? pe->byte : 0;
        const std::size_t stop = std::min<std::size_t>(byte == 0 ? 0 : byte - 1, text_.size());
        std::size_t line = 1;
        std::size_t column = 1;
        for (std::size_t i = 0; i < stop; ++i) {
            if (text_[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        std::string detail = e.what();
        if (const auto at = detail.find(": ", detail.find("parse error"));
            at != std::string::npos) {
            detail = detail.substr(at + 2);
        }
        throw ScenarioError(file_, fmt::format("line {}, column {}", line, column),
                            "malformed JSON: " + detail);
    }

  private:
    struct Frame {
        json* container;
        std::size_t max_items;
        std::size_t items = 0;                 // arrays: items so far
        std::string key;                       // objects: the member being read
        std::unordered_set<std::string> keys;  // objects: the keys so far
    };

    // The pointer of the member being read in each of the first `depth` open containers: the
    // current key, or for an array its last item (its next one if `next`, for the innermost).
    std::string pointer(std::size_t depth, bool next) const {
        std::string p;
        for (std::size_t i = 0; i < depth; ++i) {
            const Frame& f = stack_[i];
            p += "/";
            p += f.container->is_object()
                     ? escape_pointer_token(f.key)
                     : std::to_string(f.items - (next && i + 1 == depth ? 0 : 1));
        }
        return p;
    }

    // Puts `v` where the innermost open container expects its next member; its address.
    json* place(json&& v) {
        if (stack_.empty()) {
            root_ = std::move(v);
            return &root_;
        }
        Frame& f = stack_.back();
        if (f.container->is_object()) {
            // Keys are already known to be new: append rather than let ordered_map search.
            auto& members =
                static_cast<json::object_t::Container&>(f.container->get_ref<json::object_t&>());
            return &members.emplace_back(f.key, std::move(v)).second;
        }
        if (f.items == f.max_items) {
            throw ScenarioError(file_, pointer(stack_.size() - 1, false),
                                fmt::format("expected at most {} items, got more", f.max_items));
        }
        auto& items = f.container->get_ref<json::array_t&>();
        items.push_back(std::move(v));
        ++f.items;
        return &items.back();
    }

    bool add(json&& v) {
        place(std::move(v));
        return true;
    }

    bool open(json&& empty) {
        if (stack_.size() == kMaxJsonDepth) {
            throw ScenarioError(file_, pointer(stack_.size(), true),
                                fmt::format("nesting deeper than {} levels", kMaxJsonDepth));
        }
        const bool array = empty.is_array();
        json* c = place(std::move(empty));
        std::size_t max = std::numeric_limits<std::size_t>::max();
        if (array && limit_) {
            std::vector<std::string> tokens;
            for (const Frame& f : stack_) {
                tokens.push_back(f.container->is_object() ? f.key : std::to_string(f.items - 1));
            }
            max = limit_(tokens);
        }
        stack_.push_back(Frame{c, max, 0, {}, {}});
        return true;
    }

    bool close() {
        stack_.pop_back();
        return true;
    }

    std::string_view text_;
    const std::string& file_;
    const ItemLimit& limit_;
    json root_;
    std::vector<Frame> stack_;
};

}  // namespace

json read_json(std::string_view text, const std::string& file, const ItemLimit& limit) {
    Builder builder(text, file, limit);
    json::sax_parse(text.begin(), text.end(), &builder);
    return builder.take();
}

}  // namespace lockstage::app
