#include <dendra/base/exceptions.h>
#include <dendra/postprocess/output_writer.h>

#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <limits>

namespace dendra
{
  using namespace dealii;

  void StatisticsTable::add_value(const std::string &name, const std::string &unit, const double value)
  {
    const std::string header = unit.empty() ? name : name + "[" + unit + "]";
    auto              it     = std::find(columns.begin(), columns.end(), header);
    if (it == columns.end())
      it = columns.insert(columns.end(), header);
    current.emplace_back(it - columns.begin(), value);
  }

  void StatisticsTable::end_row()
  {
    rows.push_back(current);
    current.clear();
  }

  void StatisticsTable::write(const std::string &file_name) const
  {
    std::ofstream out(file_name);
    for (std::size_t c = 0; c < columns.size(); ++c)
      out << (c ? "," : "") << columns[c];
    out << '\n' << std::setprecision(10);
    for (const auto &row : rows)
      {
        std::vector<std::string> cells(columns.size());
        for (const auto &[c, v] : row)
          {
            std::ostringstream s;
            s << std::setprecision(10) << v;
            cells[c] = s.str();
          }
        for (std::size_t c = 0; c < cells.size(); ++c)
          out << (c ? "," : "") << cells[c];
        out << '\n';
      }
  }

  void StatisticsTable::save(std::ostream &out) const
  {
    out << columns.size() << '\n';
    for (const auto &c : columns)
      out << c << '\n';
    out << rows.size() << '\n' << std::setprecision(17);
    for (const auto &row : rows)
      {
        out << row.size();
        for (const auto &[c, v] : row)
          out << ' ' << c << ' ' << v;
        out << '\n';
      }
  }

  void StatisticsTable::load(std::istream &in)
  {
    std::size_t n = 0;
    in >> n;
    in.ignore();
    columns.assign(n, "");
    for (auto &c : columns)
      std::getline(in, c);
    in >> n;
    rows.assign(n, {});
    for (auto &row : rows)
      {
        std::size_t entries = 0;
        in >> entries;
        row.resize(entries);
        for (auto &[c, v] : row)
          in >> c >> v;
      }
    current.clear();
    AssertThrow(static_cast<bool>(in), ExcMessage("a checkpoint's statistics table is damaged"));
  }

  double StatisticsTable::last(const std::string &name) const
  {
    return rows.empty() ? std::numeric_limits<double>::quiet_NaN() : value(rows.size() - 1, name);
  }

  double StatisticsTable::value(const std::size_t row, const std::string &name) const
  {
    if (row >= rows.size())
      return std::numeric_limits<double>::quiet_NaN();
    for (const auto &[c, v] : rows[row])
      if (columns[c] == name || columns[c].rfind(name + "[", 0) == 0)
        return v;
    return std::numeric_limits<double>::quiet_NaN();
  }

  OutputWriter::OutputWriter(const std::string &directory, MPI_Comm communicator, const bool resumed)
    : output_directory(directory)
    , communicator(communicator)
    , is_root(Utilities::MPI::this_mpi_process(communicator) == 0)
  {
    int ok = 1;
    if (is_root)
      {
        std::error_code error;
        std::filesystem::create_directories(directory + "/solution", error);
        ok = !error;
        if (ok)
          {
            log_file.open(directory + "/log.txt", resumed ? std::ios::app : std::ios::trunc);
            ok = static_cast<bool>(log_file);
          }
      }
    ok = Utilities::MPI::min(ok, communicator);
    require_input(ok, "Output directory: cannot create '" + directory + "' or write into it");
  }

  void OutputWriter::resume(const std::vector<std::pair<double, std::string>> &records)
  {
    pvd_records = records;
  }

  void OutputWriter::write_parameters(const ParameterHandler &prm) const
  {
    if (is_root)
      {
        std::ofstream out(output_directory + "/parameters.prm");
        prm.print_parameters(out, ParameterHandler::ShortPRM);
      }
  }

  void OutputWriter::log(const std::string &text)
  {
    if (!is_root)
      return;
    if (echo)
      std::cout << text << std::endl;
    log_file << text << std::endl;
  }

  template <int dim>
  void OutputWriter::write_solution(DataOut<dim> &data_out, const double time, const unsigned int step)
  {
    const std::string pvtu =
      data_out.write_vtu_with_pvtu_record(output_directory + "/solution/", "solution", step, communicator, 4);
    pvd_records.emplace_back(time, "solution/" + pvtu);
    if (is_root)
      {
        std::ofstream pvd(output_directory + "/solution.pvd");
        DataOutBase::write_pvd_record(pvd, pvd_records);
      }
  }

  void OutputWriter::write_statistics(const StatisticsTable &table) const
  {
    if (is_root)
      table.write(output_directory + "/statistics.csv");
  }

  void OutputWriter::write_probes(const StatisticsTable &table) const
  {
    if (is_root)
      table.write(output_directory + "/probes.csv");
  }

  template void OutputWriter::write_solution<2>(DataOut<2> &, double, unsigned int);
  template void OutputWriter::write_solution<3>(DataOut<3> &, double, unsigned int);
} // namespace dendra
