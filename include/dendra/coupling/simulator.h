#pragma once

#include <dendra/base/linear_algebra.h>
#include <dendra/base/time_stepping.h>
#include <dendra/core/checkpoint.h>
#include <dendra/core/coupling_schemes.h>
#include <dendra/coupling/current_program.h>
#include <dendra/coupling/defect_deposit.h>
#include <dendra/fields/damage.h>
#include <dendra/fields/elasticity.h>
#include <dendra/fields/electrodeposition.h>
#include <dendra/fields/electrostatics.h>
#include <dendra/fields/host_statistics.h>
#include <dendra/fields/transport.h>
#include <dendra/materials/material_library.h>
#include <dendra/mesh/geometry.h>
#include <dendra/mesh/mesh_builder.h>
#include <dendra/postprocess/output_writer.h>
#include <dendra/postprocess/probes.h>

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>
#include <deal.II/distributed/tria.h>

#include <memory>
#include <set>

namespace dendra
{
  /// Owns the mesh, the fields, the step loop and the output of one run; the
  /// only place that knows the order of things. Without transport, steps are
  /// quasi-static: at every t_k = k End time / Number of steps the active
  /// fields are solved with their data at t_k. With transport, implicit time
  /// steps chosen by the TimeStepController (landing on the current program's
  /// changes, retried smaller on failure) advance the ion transport, and the
  /// other fields are solved at each new time.
  template <int dim>
  class Simulator
  {
  public:
    /// Declares every parameter of a run (dimension independent), Dimension included.
    static void declare_parameters(dealii::ParameterHandler &prm);

    /// Parses @p prm and prepares the output directory; InputError on bad input.
    Simulator(MPI_Comm communicator, dealii::ParameterHandler &prm);

    /// Builds the mesh and runs all steps, writing output after each one.
    void run();

    /// The mesh.
    const dealii::parallel::distributed::Triangulation<dim> &triangulation() const { return tria; }
    /// The elasticity field, or nullptr if it is not active.
    const Elasticity<dim> *elasticity() const { return elasticity_field.get(); }
    /// The electrostatics field, or nullptr if it is not active.
    const Electrostatics<dim> *electrostatics() const { return electrostatics_field.get(); }
    /// The transport field, or nullptr if it is not active.
    const Transport<dim> *transport() const { return transport_field.get(); }
    /// The damage field, or nullptr if it is not active.
    const Damage<dim> *damage() const { return damage_field.get(); }
    /// The phase-field deposition field, or nullptr if it is not active.
    const Electrodeposition<dim> *deposition() const { return deposition_field.get(); }
    /// One row per step (see README for the columns).
    const StatisticsTable &statistics() const { return statistics_table; }
    /// The plated Li of the initial deposit and the cracks it filled.
    const DefectDeposit<dim> &deposit() const { return *defect_deposit; }
    /// Time (s) at which the failure criterion (subsection Failure) first
    /// held, or a negative number if it did not.
    double failure_time() const { return time_of_failure; }

    /// Where the damage is after one step of a damage run: the typed
    /// counterpart of the damage columns of statistics.csv, for studies.
    struct DamageRecord
    {
      double time               = 0;     ///< s
      double damaged_measure    = 0;     ///< cracked (d > Failure/Damage threshold) area or volume (m^2 or m^3)
      double measure_below_band = 0;     ///< of it, below Failure/Near-interface band (m^2 or m^3)
      double crack_top          = 0;     ///< highest cracked point (m)
      double centroid_height    = 0;     ///< height of the cracked region's centroid (m)
      double peak_principal     = 0;     ///< largest max principal stress in the summary materials (Pa)
      bool   failed             = false; ///< the failure criterion held at or before this step
    };
    /// One DamageRecord per step of a damage run (empty otherwise).
    const std::vector<DamageRecord> &damage_history() const { return damage_records; }

    /// The failure criterion of damage runs (subsection "Failure").
    struct FailureCriterion
    {
      double                     damage_threshold  = 0.95; ///< d (-) of a crack band
      double                     height_fraction   = 0.5;  ///< band top / electrolyte thickness that fails the cell (-)
      double                     interface_band    = 1e-6; ///< damage below this height (m) is near-interface
      bool                       stop              = true; ///< end the run at failure
      dealii::types::boundary_id counter_electrode = dealii::numbers::invalid_boundary_id; ///< contact fails
    };

  private:
    /// Where the step loop stands after a step: with the fields, what a
    /// checkpoint holds.
    struct LoopState
    {
      unsigned int step    = 0;    ///< steps done (-)
      double       time    = 0;    ///< s
      double       next_dt = 0;    ///< transient runs: the next step's size (s)
      bool         restart = true; ///< transient runs: the next step starts BDF afresh (after a jump of the current)
    };

    /// Creates and sets up the active fields on the mesh; @p resumed: the
    /// mesh was loaded from a checkpoint (no initial refinement).
    void setup_fields(bool resumed);
    /// Every field provides its coupled quantities, then reads those it needs.
    void connect_quantities();
    /// Area of boundary @p id (m^2, or m in 2D).
    double boundary_area(dealii::types::boundary_id id) const;
    /// Quasi-static steps from @p first_step on (later than 1 when resumed).
    void run_quasi_static(unsigned int first_step);
    /// Writes a checkpoint at @p loop: mesh, fields, the run's state.
    void save_checkpoint(const LoopState &loop);
    /// Reads the run's and the fields' scalar state written by
    /// save_checkpoint() (before the fields' vectors are deserialized).
    LoopState restore_run_state(const std::string &text);
    /// Writes a checkpoint if one is due after @p loop or a signal asked for
    /// one; then throws TerminatedBySignal if so.
    void checkpoint_if_due(const LoopState &loop);
    /// Implicit time steps from @p start (the initial state, or a checkpoint's).
    void run_transient(LoopState start);
    void report_summary();
    /// One row of a transient run after a step of @p dt (s) with @p newton's
    /// iterations and @p rejected retries: the loop's, the transient field's,
    /// the working electrode's and the mechanics' columns.
    void record_transient(const SolverReport &newton, unsigned int rejected, double dt);
    /// The applied current density and the cell voltage of a current program's working electrode.
    void add_working_electrode_columns(double time);
    /// The damage columns at @p time (s) with the peak principal stress (Pa)
    /// of the step; records a DamageRecord.
    void add_damage_columns(double time, double peak_principal);
    /// Transient rows with elasticity: coupling iterations, stress and damage columns.
    void add_transient_mechanics_columns(double time);
    /// Solves the quasi-static fields at the new @p time (s) after a
    /// transient step of @p dt (s); throws if the damage does not settle.
    void solve_quasi_static_at(double time, double dt);
    /// Undoes the last transient step back to its start @p start (s): the
    /// transient field and, with mechanical coupling, the stress it reads.
    void undo_transient_step(double start);
    /// The union of the cells the fields keep at the finest level, by active
    /// cell index; false if no field keeps any.
    bool cells_to_keep_refined(dealii::Vector<float> &keep);
    /// Logs the failure at @p time (s); true if the run stops there.
    bool report_failure(double time);
    /// The stress columns of the elasticity field.
    typename Elasticity<dim>::StressSummary add_elasticity_columns();
    /// A transient field and elasticity both solved: the stress enters the
    /// kinetics (and plated Li strains the solid).
    bool mechanically_coupled() const { return (deposition_field || transport_field) && elasticity_field; }
    /// One step of the transient field; with mechanical coupling, staggered
    /// with elasticity until the displacement settles (coupling iterations).
    /// On failure throws with the fields back at the start of the step.
    SolverReport advance_coupled(double dt, unsigned int order);
    /// Solves elasticity at @p time for the current phase field and updates
    /// the stress seen by the deposition kinetics.
    void solve_mechanics(double time);
    /// The columns every transient row starts with: step, time, time_step, cells, wall_time.
    void add_transient_step_columns(double time, double dt);
    /// The field the time loop advances: transport or deposition.
    TransientField<dim>      &transient_field();
    std::vector<Field<dim> *> active_fields();
    /// Re-marks the Li region after the mesh or the damage changed.
    void update_deposit_region();
    /// Reads subsection "Failure".
    void parse_failure_criterion(const BoundaryNames &boundary_names);
    /// True if the committed damage meets the failure criterion.
    bool failed() const;
    /// One quasi-static step from @p start to @p time (s); damage runs cut
    /// the step into halves when the staggered solve fails.
    void advance_quasi_static(double start, double time);
    void solve_fields(double time);
    /// Solves elasticity at @p time with the eigenstrain of the initial deposit.
    void solve_elasticity_at(double time);
    /// Elasticity and damage at @p time, staggered until d and the Li region settle; commits d.
    void solve_fracture(double time);
    /// Elasticity and damage at @p time, staggered until d settles for the current Li region.
    void settle_damage(double time);
    void adapt_mesh();
    void record_step(unsigned int step, double time);
    void record_probes(unsigned int step, double time);
    void write_output(unsigned int step, double time);

    MPI_Comm                                          communicator;
    dealii::ParameterHandler                         &prm;
    MaterialLibrary                                   materials;
    std::unique_ptr<Geometry<dim>>                    geometry;
    MeshBuilder<dim>                                  mesh_builder;
    dealii::parallel::distributed::Triangulation<dim> tria;
    typename Electrostatics<dim>::Parameters          electrostatics_parameters;
    typename Elasticity<dim>::Parameters              elasticity_parameters;
    std::unique_ptr<Electrostatics<dim>>              electrostatics_field;
    std::unique_ptr<Elasticity<dim>>                  elasticity_field;
    typename Transport<dim>::Parameters               transport_parameters;
    std::unique_ptr<Transport<dim>>                   transport_field;
    typename Electrodeposition<dim>::Parameters       deposition_parameters;
    std::unique_ptr<Electrodeposition<dim>>           deposition_field;
    std::unique_ptr<HostStatistics<dim>>              host_statistics; ///< deposition in a host geometry
    typename Damage<dim>::Parameters                  damage_parameters;
    std::unique_ptr<Damage<dim>>                      damage_field;
    TimeStepController                                time_stepper;
    CurrentProgram                                    current_program;
    std::map<dealii::types::boundary_id, std::string> boundary_label;                    ///< column names of boundaries
    dealii::types::boundary_id working_electrode = dealii::numbers::invalid_boundary_id; ///< follows the program

    typename DefectDeposit<dim>::Parameters deposit_parameters;
    std::unique_ptr<DefectDeposit<dim>>     defect_deposit; ///< plating eigenstrain of the initial deposit
    QuantityRegistry<dim>                   quantities;     ///< who provides which coupled quantity
    FailureCriterion                        failure;
    double                                  time_of_failure = -1;
    std::vector<DamageRecord>               damage_records; ///< see damage_history()
    unsigned int                            step_cuts = 0;  ///< halvings of the last quasi-static step

    bool                 solve_electrostatics = false, solve_elasticity = false, solve_transport = false;
    bool                 solve_deposition          = false;
    bool                 solve_damage              = false;
    unsigned int         last_staggered_iterations = 0; ///< elasticity-damage passes of the last step
    double               end_time                  = 1;
    CouplingParameters   coupling;   ///< subsection Coupling
    CheckpointParameters checkpoint; ///< subsection Checkpoint
    unsigned int         last_coupling_iterations = 0;
    unsigned int         n_steps                  = 1;
    bool                 write_vtu                = true;
    std::set<dealii::types::material_id> summary_material_ids;
    std::string                          summary_material_names;
    /// Column label of each stress summary material, by id.
    std::map<dealii::types::material_id, std::string> summary_material_label;
    std::unique_ptr<Probes<dim>>                      probes;
    std::unique_ptr<OutputWriter>                     output;
    StatisticsTable                                   statistics_table, probe_table;
    SolverReport                                      last_electrostatics_report, last_elasticity_report;
    dealii::Timer                                     wall_clock;
  };

  /// Runs the simulation described by @p prm in the dimension it names.
  void run_simulation(MPI_Comm communicator, dealii::ParameterHandler &prm);
} // namespace dendra
