// galnet/data/catalog.hpp — galaxy catalogs: ids, numeric columns, labels, sub-catalogs; read from
// CSV here, from FITS tables by data/fits_table.hpp (both by data/table_io.hpp's read_table).
#pragma once
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "galnet/core/error.hpp"
#include "galnet/core/tensor.hpp"
#include "galnet/data/detail/csv_scan.hpp"

namespace galnet::data {

struct CsvOptions {
  std::string id_column = "objID";   ///< column holding each row's unique id (kept as text); "": the first
  char delimiter = ',';              ///< field separator; not '"', '\n' or '\r'
  bool allow_duplicate_ids = false;  ///< if true, index_of() finds the first row with an id
  char comment = '#';                ///< lines starting with it (after blanks) before the header are skipped; '\0': none
};

/// Catalog: a CSV table of galaxies, one row per object, read whole into memory.
///
/// Contract
///   - The header names the columns (surrounding blanks trimmed; names unique); one column is the
///     id (CsvOptions::id_column), kept exactly as text, so 64-bit SDSS objIDs never pass through
///     a double. Ids are unique unless CsvOptions::allow_duplicate_ids.
///   - RFC 4180 quoting ("a,b", "say ""hi"""), CRLF/LF/CR line ends, a UTF-8 BOM, blank lines and
///     comment lines before the header ('#' first, as astropy's ECSV and many survey exports
///     write them) are accepted; after the header a line starting with '#' is a row like any other.
///     text() is a field's unescaped text, verbatim otherwise.
///   - numeric(col) reads a column once (see detail::parse_number for NaN spellings) and caches
///     it; the first call is not thread-safe, so read columns before sharing a const Catalog.
///   - Every failure throws galnet::Error naming the file, and the 1-based line (a table's row:
///     where(row)), the column and the offending text where there is one.
///   - Builder makes a catalog from fields (a FITS table's rows), with the same checks.
///   - Parsing is one pass over the file read in one go: O(bytes), plus 8 bytes per field of
///     index. select/filter share the text buffer (O(rows × columns) to copy the field index).
class Catalog {
public:
  static Catalog read_csv(const std::filesystem::path& path, CsvOptions options = {}) {
    const std::string name = path.string();
    std::error_code ec;
    GALNET_CHECK(std::filesystem::exists(path, ec), "galnet::data::Catalog: ", name,
                 ": cannot open catalog: file does not exist");
    GALNET_CHECK(!std::filesystem::is_directory(path, ec), "galnet::data::Catalog: ", name,
                 ": cannot read catalog: is a directory");
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    GALNET_CHECK(in.is_open(), "galnet::data::Catalog: ", name, ": cannot open catalog for reading");
    auto text = std::make_shared<std::string>();
    if (const std::streamoff size = in.tellg(); size >= 0) {  // a regular file: one read
      text->resize(static_cast<std::size_t>(size));
      in.seekg(0);
      in.read(text->data(), size);
    } else {  // a pipe or similar
      in.clear();
      text->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    GALNET_CHECK(!in.bad(), "galnet::data::Catalog: ", name, ": read error");
    return parse(std::move(text), name, std::move(options));
  }
  /// Parses CSV text; `source_name` stands for the file in error messages.
  static Catalog parse_csv(std::string_view text, std::string source_name, CsvOptions options = {}) {
    return parse(std::make_shared<std::string>(text), std::move(source_name), std::move(options));
  }

  [[nodiscard]] std::size_t size() const { return lines_.size(); }
  [[nodiscard]] bool empty() const { return lines_.empty(); }
  [[nodiscard]] const std::vector<std::string>& columns() const { return columns_; }
  [[nodiscard]] const std::string& source() const { return source_; }
  [[nodiscard]] const std::string& id_column() const { return options_.id_column; }
  [[nodiscard]] bool has_column(std::string_view name) const {
    return std::find(columns_.begin(), columns_.end(), name) != columns_.end();
  }
  /// Position of column `name`; throws listing the columns present.
  [[nodiscard]] std::size_t column_index(std::string_view name) const {
    const auto it = std::find(columns_.begin(), columns_.end(), name);
    GALNET_CHECK(it != columns_.end(), prefix(), "no column \"", name, "\"; columns are ",
                 column_list());
    return static_cast<std::size_t>(it - columns_.begin());
  }
  /// Throws unless every column in `names` exists, listing all missing ones and those present.
  void require_columns(const std::vector<std::string>& names, std::string_view who = {}) const {
    std::string missing;
    for (const auto& c : names)
      if (!has_column(c)) missing += (missing.empty() ? "\"" : ", \"") + c + "\"";
    GALNET_CHECK(missing.empty(), prefix(), "missing column(s) ", missing,
                 who.empty() ? "" : " needed by ", who, "; columns present: ", column_list());
  }

  /// 1-based line of the file on which `row` starts (a table's 1-based row).
  [[nodiscard]] std::size_t line(std::size_t row) const { return lines_.at(check_row(row)); }
  /// Where `row` is, for messages: "line 37" of a CSV file, "row 36" of a FITS table.
  [[nodiscard]] std::string where(std::size_t row) const { return unit_ + " " + std::to_string(line(row)); }
  [[nodiscard]] std::string id(std::size_t row) const { return std::string(id_view(row)); }
  [[nodiscard]] std::optional<std::size_t> index_of(std::string_view id) const {
    const auto it = index_.find(id);
    return it == index_.end() ? std::nullopt : std::optional<std::size_t>(it->second);
  }
  /// The unescaped text of a field; valid while this catalog (or one sharing its text) lives.
  [[nodiscard]] std::string_view text(std::size_t row, std::string_view column) const {
    return field(check_row(row), column_index(column));
  }

  /// Column `name` as doubles, read on first use and cached; throws at the first field that is
  /// not a number, naming its line, the column and the text.
  [[nodiscard]] const std::vector<double>& numeric(std::string_view name) const {
    const std::size_t col = column_index(name);
    if (numeric_ready_[col]) return numeric_[col];
    std::vector<double> values(size());
    for (std::size_t r = 0; r < size(); ++r)
      GALNET_CHECK(detail::parse_number(field(r, col), values[r]), prefix(), where(r),
                   ", column \"", name, "\": cannot read \"", detail::excerpt(field(r, col)),
                   "\" as a number");
    numeric_[col] = std::move(values);
    numeric_ready_[col] = true;
    return numeric_[col];
  }
  [[nodiscard]] double value(std::size_t row, std::string_view column) const {
    return numeric(column)[check_row(row)];
  }

  /// Rows whose value is finite in every column of `names` (to drop before labels()).
  [[nodiscard]] std::vector<std::size_t> finite_rows(const std::vector<std::string>& names) const {
    std::vector<const std::vector<double>*> cols;
    for (const auto& c : names) cols.push_back(&numeric(c));
    std::vector<std::size_t> rows;
    for (std::size_t r = 0; r < size(); ++r)
      if (std::all_of(cols.begin(), cols.end(), [r](auto* v) { return std::isfinite((*v)[r]); }))
        rows.push_back(r);
    return rows;
  }
  /// Columns `names` as a [size(), names.size()] tensor; throws on a NaN or infinite value,
  /// naming the line, column and id (use finite_rows() + select() to drop such rows first).
  template <class T = float>
  [[nodiscard]] Tensor<T> labels(const std::vector<std::string>& names) const {
    const auto k = static_cast<std::int64_t>(names.size());
    Tensor<T> out(Shape{static_cast<std::int64_t>(size()), k});
    for (std::int64_t j = 0; j < k; ++j) {
      const auto& col = numeric(names[j]);
      for (std::size_t r = 0; r < size(); ++r) {
        GALNET_CHECK(std::isfinite(col[r]), prefix(), where(r), ", column \"", names[j],
                     "\", ", id_column(), " ", id_view(r), ": label is not finite (\"",
                     detail::excerpt(field(r, column_index(names[j]))),
                     "\"); drop such rows first with finite_rows() and select()");
        out[static_cast<std::int64_t>(r) * k + j] = static_cast<T>(col[r]);
      }
    }
    return out;
  }

  /// A sub-catalog of `rows` (in that order; each < size()), sharing this catalog's text.
  [[nodiscard]] Catalog select(const std::vector<std::size_t>& rows) const {
    Catalog sub;
    sub.text_ = text_;
    sub.source_ = source_;
    sub.unit_ = unit_;
    sub.note_ = note_;
    sub.options_ = options_;
    sub.columns_ = columns_;
    sub.id_col_ = id_col_;
    const std::size_t k = columns_.size();
    sub.cells_.reserve(rows.size() * k);
    sub.lines_.reserve(rows.size());
    for (const std::size_t r : rows) {
      check_row(r);
      sub.cells_.insert(sub.cells_.end(), cells_.begin() + r * k, cells_.begin() + (r + 1) * k);
      sub.lines_.push_back(lines_[r]);
    }
    sub.numeric_.resize(k);
    sub.numeric_ready_ = numeric_ready_;
    for (std::size_t c = 0; c < k; ++c)
      if (numeric_ready_[c]) {
        sub.numeric_[c].reserve(rows.size());
        for (const std::size_t r : rows) sub.numeric_[c].push_back(numeric_[c][r]);
      }
    sub.build_index(false);
    return sub;
  }
  /// This catalog plus a numeric column `name` holding `values` (one per row), e.g. a label
  /// derived from other columns; its text is empty. Throws if `name` exists or the count differs.
  [[nodiscard]] Catalog with_column(const std::string& name, std::vector<double> values) const {
    GALNET_CHECK(!has_column(name), prefix(), "cannot add column \"", name, "\": it exists");
    GALNET_CHECK(values.size() == size(), prefix(), "column \"", name, "\" has ", values.size(),
                 " values for ", size(), " rows");
    Catalog c = select_all();
    const std::size_t k = columns_.size();
    c.cells_.clear();
    c.cells_.reserve(size() * (k + 1));
    for (std::size_t r = 0; r < size(); ++r) {
      c.cells_.insert(c.cells_.end(), cells_.begin() + r * k, cells_.begin() + (r + 1) * k);
      c.cells_.push_back(detail::Cell{0, 0});
    }
    c.columns_.push_back(name);
    c.numeric_.push_back(std::move(values));
    c.numeric_ready_.push_back(true);
    c.build_index(false);
    return c;
  }
  /// The rows for which `keep(*this, row)` is true, in order.
  template <class Predicate>
    requires std::predicate<Predicate&, const Catalog&, std::size_t>
  [[nodiscard]] Catalog filter(Predicate keep) const {
    std::vector<std::size_t> rows;
    for (std::size_t r = 0; r < size(); ++r)
      if (keep(*this, r)) rows.push_back(r);
    return select(rows);
  }

  /// Makes a catalog from fields, row by row (a FITS table's rows), with read_csv's checks: unique
  /// column names, the id column, a field per column, unique non-empty ids. `unit` names what the
  /// numbers given with the rows count in messages ("row" of a table).
  class Builder {
  public:
    /// `note`: a sentence added to "no column" errors (e.g. the table columns that were not read).
    Builder(std::string source, std::vector<std::string> columns, CsvOptions options = {}, std::string unit = "row",
            std::string note = {})
        : cat_(new Catalog()), text_(std::make_shared<std::string>()) {
      cat_->source_ = std::move(source);
      cat_->unit_ = std::move(unit);
      cat_->note_ = std::move(note);
      cat_->options_ = std::move(options);
      for (auto& c : columns) {
        GALNET_CHECK(!cat_->has_column(c), cat_->prefix(), "duplicate column name \"", c, "\"");
        cat_->columns_.push_back(std::move(c));
      }
      cat_->id_col_ = cat_->column_index_for_id();
    }
    /// Appends a row of `fields` (one per column, in order), numbered `number` in messages.
    void add_row(std::span<const std::string_view> fields, std::size_t number) {
      GALNET_CHECK(fields.size() == cat_->columns_.size(), cat_->prefix(), cat_->unit_, " ", number, ": ", fields.size(),
                   " field(s), expected ", cat_->columns_.size());
      for (const auto& f : fields) {
        GALNET_CHECK(f.size() < (std::size_t{1} << 24) && text_->size() < (std::uint64_t{1} << 40), cat_->prefix(),
                     cat_->unit_, " ", number, ": field longer than 16 MiB or table text larger than 1 TiB");
        cat_->cells_.push_back(detail::Cell{text_->size() & ((std::uint64_t{1} << 40) - 1), f.size() & 0xFFFFFF});
        text_->append(f);
      }
      cat_->lines_.push_back(number);
    }
    /// The catalog; throws where it has no rows or an id is empty or repeated.
    [[nodiscard]] Catalog finish() && {
      GALNET_CHECK(!cat_->lines_.empty(), cat_->prefix(), "no rows (an empty catalog)");
      cat_->text_ = std::move(text_);
      cat_->numeric_.resize(cat_->columns_.size());
      cat_->numeric_ready_.assign(cat_->columns_.size(), false);
      cat_->build_index(!cat_->options_.allow_duplicate_ids);
      return std::move(*cat_);
    }

  private:
    std::unique_ptr<Catalog> cat_;  // the class is incomplete here
    std::shared_ptr<std::string> text_;
  };

private:
  Catalog() = default;

  /// The position of the id column (the first column where CsvOptions::id_column is empty);
  /// throws naming the columns present.
  std::size_t column_index_for_id() {
    if (options_.id_column.empty() && !columns_.empty()) options_.id_column = columns_.front();
    const auto it = std::find(columns_.begin(), columns_.end(), options_.id_column);
    GALNET_CHECK(it != columns_.end(), prefix(), "no id column \"", options_.id_column,
                 "\" (set CsvOptions::id_column); columns are ", column_list());
    return static_cast<std::size_t>(it - columns_.begin());
  }

  static Catalog parse(std::shared_ptr<std::string> text, std::string source, CsvOptions options) {
    const char d = options.delimiter;
    GALNET_CHECK(d != '"' && d != '\n' && d != '\r', "galnet::data::Catalog: ", source,
                 ": invalid delimiter option (a quote or a line break)");
    const char c = options.comment;
    GALNET_CHECK(c == '\0' || (c != d && c != '"' && c != '\n' && c != '\r'), "galnet::data::Catalog: ", source,
                 ": invalid comment option (the delimiter, a quote or a line break)");
    Catalog cat;
    cat.source_ = std::move(source);
    cat.options_ = std::move(options);
    detail::CsvScanner scan(*text, cat.source_, d, cat.options_.comment);
    std::vector<detail::Cell> header;
    std::size_t line = 0;
    GALNET_CHECK(scan.next_record(header, line), cat.prefix(), "empty file (no header line)");
    scan.end_comments();  // after the header every line is a row: a '#' there is data, never dropped
    for (const auto& h : header) {
      const std::string name(detail::trim_blanks(std::string_view(*text).substr(h.offset, h.length)));
      const auto dup = std::find(cat.columns_.begin(), cat.columns_.end(), name);
      GALNET_CHECK(dup == cat.columns_.end(), cat.prefix(), "line ", line, ": duplicate column name \"",
                   name, "\" (columns ", dup - cat.columns_.begin() + 1, " and ",
                   cat.columns_.size() + 1, ")");
      cat.columns_.push_back(name);
    }
    cat.id_col_ = cat.column_index_for_id();
    cat.text_ = text;  // the buffer is final from here on: fields are views into it

    const std::size_t k = cat.columns_.size();
    const auto approx_rows = static_cast<std::size_t>(std::count(text->begin(), text->end(), '\n'));
    cat.cells_.reserve((approx_rows + 1) * k);
    cat.lines_.reserve(approx_rows + 1);
    while (scan.next_record(cat.cells_, line)) {
      const std::size_t found = cat.cells_.size() - cat.lines_.size() * k;
      GALNET_CHECK(found == k, cat.prefix(), "line ", line, ": ", found, " field(s), expected ", k,
                   " as in the header");
      cat.lines_.push_back(line);
    }
    GALNET_CHECK(!cat.lines_.empty(), cat.prefix(), "header but no rows (an empty catalog)");
    cat.numeric_.resize(k);
    cat.numeric_ready_.assign(k, false);
    cat.build_index(!cat.options_.allow_duplicate_ids);
    return cat;
  }

  void build_index(bool unique) {
    index_.clear();
    index_.reserve(size());
    for (std::size_t r = 0; r < size(); ++r) {
      const std::string_view id = id_view(r);
      GALNET_CHECK(!id.empty(), prefix(), where(r), ": empty ", id_column());
      const auto [it, inserted] = index_.try_emplace(id, r);
      GALNET_CHECK(inserted || !unique, prefix(), "duplicate ", id_column(), " \"", id,
                   "\" on ", unit_, "s ", lines_[it->second], " and ", lines_[r],
                   " (set CsvOptions::allow_duplicate_ids to keep both)");
    }
  }
  Catalog select_all() const {
    std::vector<std::size_t> rows(size());
    for (std::size_t r = 0; r < size(); ++r) rows[r] = r;
    return select(rows);
  }
  std::size_t check_row(std::size_t row) const {
    GALNET_CHECK(row < size(), prefix(), "row ", row, " out of range for ", size(), " rows");
    return row;
  }
  std::string_view field(std::size_t row, std::size_t col) const {
    const detail::Cell c = cells_[row * columns_.size() + col];
    return std::string_view(*text_).substr(c.offset, c.length);
  }
  std::string_view id_view(std::size_t row) const {
    return detail::trim_blanks(field(check_row(row), id_col_));
  }
  std::string prefix() const { return "galnet::data::Catalog: " + source_ + ": "; }
  std::string column_list() const {
    std::string s;
    for (const auto& c : columns_) s += (s.empty() ? "\"" : ", \"") + c + "\"";
    return (s.empty() ? "(none)" : s) + (note_.empty() ? "" : "; " + note_);
  }

  std::shared_ptr<const std::string> text_;  // unescaped field text; fields are views into it
  std::string source_;
  std::string unit_ = "line";  // what lines_ count: a file's "line", a table's "row"
  std::string note_;           // said with "no column" errors
  CsvOptions options_;
  std::vector<std::string> columns_;
  std::size_t id_col_ = 0;
  std::vector<detail::Cell> cells_;   // row-major: row * columns_.size() + column
  std::vector<std::size_t> lines_;    // 1-based first line of each row
  std::unordered_map<std::string_view, std::size_t> index_;  // id -> first row with it
  mutable std::vector<std::vector<double>> numeric_;
  mutable std::vector<bool> numeric_ready_;
};

}  // namespace galnet::data
