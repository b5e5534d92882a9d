// The command line of a step (`datahub-gen step KIND ARGS`), declared once
// per step: its flags, in the order build.ninja writes them, each bound to a
// member of the step's options struct. ToArgs writes a struct as arguments
// (what emit puts on an edge), FromArgs reads them back (what the step runs
// with), Help lists them; the round trip is exact. A value is taken verbatim,
// whatever it looks like: `--cmd --x` gives --cmd the value `--x`.
#pragma once
#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dhg::steps {

// A command line the step cannot run with (exit code 2).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The arguments, flag by flag, in the order given ("--name value" or
// "--name=value" for a flag that takes a value). Throws UsageError for an
// unknown flag, a missing value or a word that is no flag.
struct ParsedArgs {
  std::map<std::string, std::vector<std::string>> values;  // by flag name, without "--"
  std::vector<std::string> flags;                          // flags without a value that were given
};

template <typename Options>
class ArgSchema {
 public:
  // --NAME VALUE, exactly once.
  ArgSchema& Required(std::string name, std::string Options::*member, std::string help) {
    return Add(
        name, help, true, false, [=](const Options& o, Out out) { out(o.*member); },
        [=](Options& o, const std::vector<std::string>& v) { o.*member = Single(name, v, true); });
  }
  // --NAME VALUE, at most once; not written when empty.
  ArgSchema& Optional(std::string name, std::string Options::*member, std::string help) {
    return Add(
        name, help, true, false,
        [=](const Options& o, Out out) {
          if (!(o.*member).empty()) out(o.*member);
        },
        [=](Options& o, const std::vector<std::string>& v) { o.*member = Single(name, v, false); });
  }
  // --NAME VALUE, any number of times.
  ArgSchema& Repeated(std::string name, std::vector<std::string> Options::*member, std::string help) {
    return Add(
        name, help, true, true,
        [=](const Options& o, Out out) {
          for (const std::string& value : o.*member) out(value);
        },
        [=](Options& o, const std::vector<std::string>& v) { o.*member = v; });
  }
  // --NAME, written when true.
  ArgSchema& Flag(std::string name, bool Options::*member, std::string help) {
    fields_.push_back({name, help, false, false, nullptr, nullptr, member});
    order_.push_back({false, fields_.size() - 1});
    return *this;
  }
  // Records of several flags each (--a X --b Y --a X2 --b Y2): every flag of
  // `columns` is given once per record, in this order.
  template <typename Record>
  ArgSchema& Records(std::vector<Record> Options::*member,
                     std::vector<std::pair<std::string, std::string Record::*>> columns,
                     std::vector<std::string> help) {
    records_.push_back({columns.front().first, {}, {}, nullptr});
    Group& group = records_.back();
    for (size_t i = 0; i < columns.size(); ++i) {
      group.names.push_back(columns[i].first);
      group.help.push_back(i < help.size() ? help[i] : "");
    }
    group.write = [=](const Options& o, std::vector<std::string>& args) {
      for (const Record& record : o.*member)
        for (const auto& [name, column] : columns) args.insert(args.end(), {"--" + name, record.*column});
    };
    group.read = [=](Options& o, const ParsedArgs& parsed) {
      size_t count = 0;
      for (size_t i = 0; i < columns.size(); ++i) {
        auto found = parsed.values.find(columns[i].first);
        size_t n = found == parsed.values.end() ? 0 : found->second.size();
        if (i == 0) count = n;
        if (n != count) throw UsageError(JoinFlags(columns) + " must be given the same number of times");
      }
      (o.*member).assign(count, Record{});
      for (const auto& [name, column] : columns) {
        auto found = parsed.values.find(name);
        for (size_t r = 0; r < count; ++r) (o.*member)[r].*column = found->second[r];
      }
    };
    order_.push_back({true, records_.size() - 1});
    return *this;
  }

  std::vector<std::string> ToArgs(const Options& options) const {
    std::vector<std::string> args;
    for (const auto& [is_group, index] : order_) {
      if (is_group) {
        records_[index].write(options, args);
        continue;
      }
      const Field& field = fields_[index];
      if (field.flag) {
        if (options.*field.flag) args.push_back("--" + field.name);
        continue;
      }
      field.write(options, [&](const std::string& value) { args.insert(args.end(), {"--" + field.name, value}); });
    }
    return args;
  }

  Options FromArgs(const std::vector<std::string>& args) const {
    ParsedArgs parsed = Parse(args);
    Options options{};
    for (const auto& [is_group, index] : order_) {
      if (is_group) {
        records_[index].read(options, parsed);
        continue;
      }
      const Field& field = fields_[index];
      if (field.flag) {
        options.*field.flag = std::find(parsed.flags.begin(), parsed.flags.end(), field.name) != parsed.flags.end();
        continue;
      }
      auto found = parsed.values.find(field.name);
      field.read(options, found == parsed.values.end() ? std::vector<std::string>{} : found->second);
    }
    return options;
  }

  // "  --name VALUE  help" lines, in the order of the declaration.
  std::string Help() const {
    std::string text;
    auto line = [&text](const std::string& flag, const std::string& help) {
      text += "  " + flag + std::string(flag.size() < 26 ? 26 - flag.size() : 1, ' ') + help + "\n";
    };
    for (const auto& [is_group, index] : order_) {
      if (is_group) {
        const Group& group = records_[index];
        for (size_t i = 0; i < group.names.size(); ++i) line("--" + group.names[i] + " VALUE", group.help[i]);
        continue;
      }
      const Field& field = fields_[index];
      std::string suffix = field.flag ? "" : field.repeated ? " VALUE..." : " VALUE";
      line("--" + field.name + suffix, field.help + (field.required ? " (required)" : ""));
    }
    return text;
  }

 private:
  using Out = const std::function<void(const std::string&)>&;
  struct Field {
    std::string name, help;
    bool required = false, repeated = false;
    std::function<void(const Options&, Out)> write;
    std::function<void(Options&, const std::vector<std::string>&)> read;
    bool Options::*flag = nullptr;
  };
  struct Group {
    std::string first;
    std::vector<std::string> names, help;
    std::function<void(const Options&, std::vector<std::string>&)> write;
    std::function<void(Options&, const ParsedArgs&)> read;
  };

  ArgSchema& Add(std::string name, std::string help, bool required, bool repeated,
                 std::function<void(const Options&, Out)> write,
                 std::function<void(Options&, const std::vector<std::string>&)> read) {
    fields_.push_back({name, help, required, repeated, write, read, nullptr});
    order_.push_back({false, fields_.size() - 1});
    return *this;
  }

  static std::string Single(const std::string& name, const std::vector<std::string>& values, bool required) {
    if (values.size() > 1) throw UsageError("--" + name + " given more than once");
    if (values.empty()) {
      if (required) throw UsageError("missing --" + name);
      return "";
    }
    return values.front();
  }

  template <typename Columns>
  static std::string JoinFlags(const Columns& columns) {
    std::string text;
    for (size_t i = 0; i < columns.size(); ++i)
      text += (i == 0 ? "--" : i + 1 == columns.size() ? " and --" : ", --") + columns[i].first;
    return text;
  }

  ParsedArgs Parse(const std::vector<std::string>& args) const {
    ParsedArgs parsed;
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string& word = args[i];
      if (word.rfind("--", 0) != 0 || word.size() == 2) throw UsageError("unexpected argument '" + word + "'");
      std::string name = word.substr(2);
      std::optional<std::string> attached;
      if (size_t equals = name.find('='); equals != std::string::npos) {
        attached = name.substr(equals + 1);
        name.resize(equals);
      }
      bool takes_value = false, known = false;
      for (const Field& field : fields_) {
        if (field.name == name) known = true, takes_value = !field.flag;
      }
      for (const Group& group : records_) {
        for (const std::string& column : group.names)
          if (column == name) known = true, takes_value = true;
      }
      if (!known) throw UsageError("unknown option '--" + name + "'");
      if (!takes_value) {
        if (attached) throw UsageError("--" + name + " takes no value");
        parsed.flags.push_back(name);
        continue;
      }
      if (!attached) {
        if (i + 1 == args.size()) throw UsageError("--" + name + " needs a value");
        attached = args[++i];
      }
      parsed.values[name].push_back(*attached);
    }
    return parsed;
  }

  std::vector<Field> fields_;
  std::vector<Group> records_;
  std::vector<std::pair<bool, size_t>> order_;  // (is a group, index)
};

}  // namespace dhg::steps
