#pragma once

#include <dendra/fields/field.h>
#include <dendra/postprocess/output_writer.h>
#include <dendra/postprocess/probes.h>

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>
#include <deal.II/numerics/data_out.h>

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace dendra
{
  /// What a run writes to its Output directory from its fields: the
  /// parameters, log.txt with one progress line per step, statistics.csv,
  /// probes.csv and solution/*.vtu; and the part of it a checkpoint holds.
  template <int dim>
  class RunOutput
  {
  public:
    /// The fields of a run, in rank order.
    using Fields = std::vector<std::unique_ptr<Field<dim>>>;

    /// Declares Output directory and Postprocess/Probe points, Write vtu, Echo log and Timing.
    static void declare_parameters(dealii::ParameterHandler &prm);
    /// Reads them and prepares the directory (its files are kept when
    /// @p resume), writing the parameters of @p prm; InputError on bad input.
    RunOutput(dealii::ParameterHandler &prm, MPI_Comm communicator, bool resume);

    /// Appends @p text to log.txt (and the terminal with Echo log).
    void log(const std::string &text) { writer->log(text); }
    /// The output directory.
    const std::string &directory() const { return writer->directory(); }
    /// True if solution/*.vtu are written (Postprocess/Write vtu).
    bool writes_solution() const { return write_vtu; }
    /// True if the run is profiled (Postprocess/Timing).
    bool profiled() const { return timing; }
    /// Wall-clock seconds since the run started.
    double wall_time() const { return wall_clock.wall_time(); }
    /// The statistics so far: add the columns of the next row, then end_row().
    StatisticsTable &statistics() { return statistics_table; }
    /// The statistics so far.
    const StatisticsTable &statistics() const { return statistics_table; }
    /// Ends the row, writes statistics.csv and adds the probes of @p fields
    /// at @p step and @p time (s) to probes.csv.
    void end_row(const Fields &fields, unsigned int step, double time);
    /// Writes solution/*.vtu (if Write vtu) of @p fields on @p mesh at
    /// @p step and @p time (s) with the material ids and the partition;
    /// @p add_run_data adds the run's own cell data.
    void write_solution(const dealii::Triangulation<dim> &mesh, const Fields &fields,
                        const std::function<void(dealii::DataOut<dim> &)> &add_run_data, unsigned int step,
                        double time);
    /// Logs @p head, each field's progress, @p tail (if not empty), the
    /// elapsed time and the time to go at @p done_fraction (-) of the run.
    void log_progress(const Fields &fields, const std::string &head, const std::string &tail, double done_fraction);
    /// Logs the fields' summaries (boundaries named by @p labels) and where the output went.
    void log_summary(const Fields &fields, const BoundaryLabels &labels);
    /// Writes the tables and the vtu records exactly, for a checkpoint.
    void save(std::ostream &out) const;
    /// Reads what save() wrote.
    void load(std::istream &in);

  private:
    std::unique_ptr<OutputWriter> writer;
    std::unique_ptr<Probes<dim>>  probes;
    bool                          write_vtu = true;
    bool                          timing    = false; ///< Postprocess/Timing
    StatisticsTable               statistics_table, probe_table;
    dealii::Timer                 wall_clock;
  };
} // namespace dendra
