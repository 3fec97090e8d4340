#pragma once

#include <dendra/base/linear_algebra.h>
#include <dendra/base/time_stepping.h>
#include <dendra/core/checkpoint.h>
#include <dendra/core/coupling_schemes.h>
#include <dendra/core/current_program.h>
#include <dendra/coupling/coupled_step.h>
#include <dendra/coupling/defect_deposit.h>
#include <dendra/coupling/run_checkpoint.h>
#include <dendra/coupling/run_output.h>
#include <dendra/coupling/time_loop.h>
#include <dendra/fields/field_registry.h>
#include <dendra/fields/irreversible_field.h>
#include <dendra/fields/transient_field.h>
#include <dendra/materials/material_library.h>
#include <dendra/mesh/geometry.h>
#include <dendra/mesh/mesh_builder.h>
#include <dendra/postprocess/output_writer.h>

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>
#include <deal.II/distributed/tria.h>

#include <memory>
#include <string>
#include <vector>

namespace dendra
{
  /// Owns the mesh, the fields and the output of one run; the only place
  /// that knows the order of things, and it knows no concrete field: it
  /// creates the fields named in Simulation/Fields from the FieldRegistry,
  /// connects their quantities and composes the rest: CoupledStep (the
  /// coupling schemes of subsection Coupling: staggered or monolithic for a
  /// transient field and its partner, alternate minimisation for fracture)
  /// solves each step, TimeLoop runs the quasi-static or transient steps,
  /// RunOutput writes what a run writes and RunCheckpoint its checkpoints.
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
    /// The active field of type @p FieldType, or nullptr if there is none
    /// (for studies and tests, which may know concrete fields).
    template <typename FieldType>
    const FieldType *field() const
    {
      for (const auto &f : fields)
        if (const auto *typed = dynamic_cast<const FieldType *>(f.get()))
          return typed;
      return nullptr;
    }
    /// One row per step (see README for the columns).
    const StatisticsTable &statistics() const { return output->statistics(); }
    /// The plated Li of the initial deposit and the cracks it filled.
    const DefectDeposit<dim> &deposit() const { return *defect_deposit; }
    /// Time (s) at which a field's failure criterion (subsection Failure)
    /// first held, or a negative number if none did.
    double failure_time() const { return time_of_failure; }

  private:
    /// Reads Simulation/Fields and every named field's parameters (their makers).
    void parse_fields();
    /// Creates the fields on the mesh and sets them up; @p resumed: the mesh
    /// was loaded from a checkpoint (no initial refinement).
    void setup_fields(bool resumed);
    /// Every field provides its coupled quantities, then reads those it needs.
    void connect_quantities();
    /// The union of the cells the fields keep at the finest level, by active
    /// cell index; false if no field keeps any.
    bool cells_to_keep_refined(dealii::Vector<float> &keep);
    /// The smallest of the fields' cell size targets (m) per active cell, or
    /// false if no field sets any; cells kept refined want the interface resolution.
    bool cell_size_targets(dealii::Vector<float> &targets);
    /// True if the mesh is coarser than the cell size targets somewhere.
    bool under_resolved();
    /// Adapts the mesh to the cell size targets, or by error indicators
    /// without targets, and transfers the fields.
    void adapt_mesh();
    /// Marks by the fields' Kelly indicators at fixed fractions, keeping kept cells refined.
    void mark_by_error_indicators();
    /// The mesh and the fields' states on it are final: fields and the deposit follow.
    void mesh_ready();
    /// Asks every field whether the cell failed at @p time (s); logs the first
    /// failure. Returns true if the cell failed now.
    bool check_failure(double time);
    /// Records the @p accepted step: checks for failure, then one row of
    /// statistics.csv (and probes.csv) with the run's, the fields', the
    /// schemes' and the deposit's columns, and the vtu output. Returns true if
    /// the cell failed in the step.
    bool record(const AcceptedStep &accepted);
    /// The progress line of the @p accepted step and a checkpoint if due;
    /// returns true if the run ends there (it @p failed and stops at failure).
    bool finish_step(const AcceptedStep &accepted, bool failed);
    /// solution/*.vtu of the fields with the material ids, partition and Li region.
    void                                              write_output(unsigned int step, double time);
    MPI_Comm                                          communicator;
    dealii::ParameterHandler                         &prm;
    MaterialLibrary                                   materials;
    std::unique_ptr<Geometry<dim>>                    geometry;
    MeshBuilder<dim>                                  mesh_builder;
    dealii::parallel::distributed::Triangulation<dim> tria;
    BoundaryNames                                     boundary_names;
    BoundaryLabels                                    boundary_label; ///< column names of boundaries
    TimeStepController                                time_stepper;
    CurrentProgram                                    current_program;
    std::unique_ptr<FieldContext<dim>>                context; ///< what fields see of the run

    std::vector<FieldMaker<dim>>             makers; ///< of the named fields, in rank order
    bool                                     transient_run = false;
    std::vector<std::unique_ptr<Field<dim>>> fields;  ///< in rank order
    std::unique_ptr<CoupledStep<dim>>        schemes; ///< the coupling schemes of one step

    typename DefectDeposit<dim>::Parameters deposit_parameters;
    std::unique_ptr<DefectDeposit<dim>>     defect_deposit; ///< plating eigenstrain of the initial deposit
    QuantityRegistry<dim>                   quantities;     ///< who provides which coupled quantity
    CouplingParameters                      coupling;       ///< subsection Coupling
    CheckpointParameters                    checkpoint;     ///< subsection Checkpoint
    double                                  time_of_failure = -1;
    bool                                    stop_at_failure = true;
    double                                  end_time        = 1;
    unsigned int                            n_steps         = 1;
    std::unique_ptr<RunOutput<dim>>         output;
    std::unique_ptr<RunCheckpoint<dim>>     run_checkpoint; ///< writes and reads the run's checkpoints
  };

  /// Runs the simulation described by @p prm in the dimension it names.
  void run_simulation(MPI_Comm communicator, dealii::ParameterHandler &prm);
} // namespace dendra
