#pragma once

#include <deal.II/base/parameter_handler.h>

#include <mpi.h>
#include <string>
#include <vector>

namespace dendra
{
  /// What one case of a defect study measured (one row of results.csv).
  struct DefectCaseResult
  {
    std::string shape;                      ///< defect shape name
    double      aspect_ratio = 0;           ///< depth / width (-)
    double      width        = 0;           ///< opening width (m)
    double      depth        = 0;           ///< depth (m)
    std::string status;                     ///< failed, survived, or "gave up: ..."
    double      failure_time          = -1; ///< s; negative if the cell did not fail
    double      peak_stress           = 0;  ///< largest max principal stress in the electrolyte over the run (Pa)
    double      onset_time            = -1; ///< first time with cracked electrolyte (s); negative if none
    double      early_damaged_measure = 0;  ///< cracked area/volume at the study's early time (m^2 or m^3)
    double      damaged_measure       = 0;  ///< cracked area/volume at the end (m^2 or m^3)
    double      centroid_depth        = 0;  ///< height of the damage centroid above the interface (m)
    double      near_interface        = 0;  ///< fraction of the damage below the near-interface band (-)
    std::string classification;             ///< near-interface, bulk or none
    double      crack_top          = 0;     ///< highest cracked point above the interface at the end (m)
    double      peak_li_pressure   = 0;     ///< largest Li pressure of the filling (Pa); 0 without one
    double      end_li_pressure    = 0;     ///< Li pressure at the end: at failure if the case failed (Pa)
    double      peak_focusing      = 0;     ///< focusing factor at the start of plating (-), the largest
    double      mean_current_share = 0;     ///< time-mean share of the current that plates into the defect (-)
    double      wall_time          = 0;     ///< s
    std::string fingerprint;                ///< hash of the case's parameters (resume check)
    bool        resumed = false;            ///< read from an earlier run, not computed (not in the CSV)
  };

  /// The stress-defect failure study (PHYSICS.md Section 7, item 1): a sweep
  /// of interfacial-defect shapes and aspect ratios at equal defect size,
  /// each case a damage run with Li plated into the defect (by default the
  /// coupled model: ionic current, pressurised Li filling) until the
  /// failure criterion holds. The damage length scale is a fraction of the
  /// smallest defect width of the sweep, equal for all cases. Cases run concurrently on groups of ranks,
  /// finished cases are skipped when a sweep is run again (resume), and
  /// results.csv, a table on the terminal and the plots summarise it.
  /// Parameters: subsection "Defect study" plus every Simulator parameter.
  class DefectStudy
  {
  public:
    /// Declares subsection "Defect study".
    static void declare_parameters(dealii::ParameterHandler &prm);

    /// Reads the study from @p prm (kept by reference: each case sets its
    /// shape, aspect ratio and output directory in it); InputError on bad input.
    DefectStudy(MPI_Comm world, dealii::ParameterHandler &prm);

    /// Runs the cases not done before, then writes results.csv and the plots.
    void run();

  private:
    /// Checks the input of all @p n_cases cases on all ranks (InputError) and
    /// sets the electrolyte's damage length scale from the smallest defect width.
    void validate_input(unsigned int n_cases);
    /// Runs (or resumes) case @p index on @p group; returns its result.
    DefectCaseResult run_case(unsigned int index, MPI_Comm group);
    /// Sets the case's entries in the parameters and returns their fingerprint.
    std::string configure_case(unsigned int index);
    /// Directory of case @p index.
    std::string case_directory(unsigned int index) const;
    /// Writes results.csv, prints the table and makes the plots (rank 0).
    void summarise(const std::vector<DefectCaseResult> &results) const;

    MPI_Comm                  world;
    dealii::ParameterHandler &prm;
    std::string               output_directory;
    std::vector<std::string>  shapes;
    std::vector<double>       aspect_ratios;
    unsigned int              ranks_per_case = 1;
    double                    early_time     = 60;
    std::string               plot_command;
    unsigned int              dimension       = 2;
    double                    length_fraction = 0;     ///< l / smallest defect width (-); 0: the material's l
    bool                      write_vtu       = false; ///< a ParaView series per case
  };

  /// Reads a results.csv row written by the study (for resuming); false if @p file has none.
  bool read_case_result(const std::string &file, DefectCaseResult &result);
  /// Writes @p result as a one-row CSV with header to @p file.
  void write_case_result(const std::string &file, const DefectCaseResult &result);
} // namespace dendra
