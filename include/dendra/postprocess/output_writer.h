#pragma once

#include <deal.II/base/mpi.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/fe/mapping.h>
#include <deal.II/numerics/data_out.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace dendra
{
  /// A table with one row per step, written as CSV after every row so that
  /// nothing is lost if a later step fails. Column headers carry units:
  /// "name[unit]".
  class StatisticsTable
  {
  public:
    /// Sets @p value in column "@p name[@p unit]" of the current row.
    void add_value(const std::string &name, const std::string &unit, double value);
    /// Closes the current row.
    void end_row();
    /// Writes all rows to @p file_name (call on one rank only).
    void write(const std::string &file_name) const;
    /// Value of a column in the last closed row (NaN if absent).
    double last(const std::string &name) const;
    /// Value of a column (name without unit) in closed row @p row (NaN if absent).
    double value(std::size_t row, const std::string &name) const;
    /// Number of closed rows.
    std::size_t n_rows() const { return rows.size(); }
    /// Writes the table exactly (all digits) for a checkpoint.
    void save(std::ostream &out) const;
    /// Reads a table written by save(), replacing this one.
    void load(std::istream &in);

  private:
    std::vector<std::string>                                 columns;
    std::vector<std::vector<std::pair<std::size_t, double>>> rows;
    std::vector<std::pair<std::size_t, double>>              current;
  };

  /// One output directory per run: parameters.prm, log.txt, statistics.csv,
  /// probes.csv and solution/*.vtu + *.pvtu + solution.pvd.
  class OutputWriter
  {
  public:
    /// Creates @p directory (and solution/) on rank 0; InputError if impossible.
    /// A @p resumed run appends to its log.txt instead of starting it anew.
    OutputWriter(const std::string &directory, MPI_Comm communicator, bool resumed = false);

    /// Writes the parsed parameters as a valid .prm file.
    void write_parameters(const dealii::ParameterHandler &prm) const;
    /// Prints @p text on rank 0 to the terminal and appends it to log.txt.
    void log(const std::string &text);
    /// Whether log() also prints to the terminal (default true).
    void set_echo(const bool on) { echo = on; }
    /// Writes one vtu/pvtu set for @p time and updates solution.pvd.
    template <int dim>
    void write_solution(dealii::DataOut<dim> &data_out, double time, unsigned int step);
    /// Rewrites statistics.csv from @p table.
    void write_statistics(const StatisticsTable &table) const;
    /// Rewrites probes.csv from @p table.
    void write_probes(const StatisticsTable &table) const;
    /// The output directory.
    const std::string &directory() const { return output_directory; }
    /// The solution files written so far, (time, file), for a checkpoint.
    const std::vector<std::pair<double, std::string>> &solution_records() const { return pvd_records; }
    /// Continues a resumed run: the solution files written before its checkpoint.
    void resume(const std::vector<std::pair<double, std::string>> &records);

  private:
    bool                                        echo = true; ///< log() prints to the terminal too
    std::string                                 output_directory;
    MPI_Comm                                    communicator;
    bool                                        is_root;
    std::ofstream                               log_file;
    std::vector<std::pair<double, std::string>> pvd_records;
  };
} // namespace dendra
