#pragma once

#include <dendra/base/linear_algebra.h>
#include <dendra/core/quantities.h>
#include <dendra/mesh/geometry.h>
#include <dendra/postprocess/output_writer.h>

#include <deal.II/distributed/tria.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe_dgq.h>

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace dendra
{
  /// The Li plated into an interfacial defect and the cracks it opens, as a
  /// pressurised filling (PHYSICS.md Section 5a). The plated volume V_Li
  /// (stress-free, from the plating current through Faraday's law) fills the
  /// cavity: the defect D (the geometry's initial deposit, |D_0| at rest)
  /// grown by int_D div u, plus the opening V_crack = -int_chi u . grad d of
  /// the crack band chi, plus the compression of the Li:
  ///   V_Li = |D_0| + int_D div u + V_crack + V_Li p / K_Li.
  /// The Li pressure p makes both sides agree; a coupling scheme finds it
  /// (balance_residual()). chi is the set of damageable cells with mean
  /// damage >= Crack fill damage that are open (-int_K u . grad d > 0) and
  /// connected to D through such cells: Li enters a crack only where it is open.
  template <int dim>
  class LiFilling
  {
  public:
    /// Material data and thresholds.
    struct Parameters
    {
      double crack_fill_damage = 0.05;    ///< mean d (-) from which an open crack cell fills
      double flow_stress       = 0;       ///< cap of p (Pa): Li flows out above it; 0 = none
      double molar_volume      = 1.30e-5; ///< Omega_Li (m^3/mol)
      double bulk_modulus      = 10.2e9;  ///< K_Li (Pa)
    };

    /// The volumes of the cavity and the current into it for the fields' current state.
    struct Measures
    {
      double defect_growth   = 0; ///< int_D div u (m^3, m^2 in 2D)
      double crack_opening   = 0; ///< -int_chi u . grad d (m^3, m^2 in 2D)
      double plating_current = 0; ///< current plating into D and chi (A, A/m in 2D)
    };

    /// The defect of @p geometry on @p triangulation (both kept by reference).
    LiFilling(const dealii::parallel::distributed::Triangulation<dim> &triangulation, const Geometry<dim> &geometry,
              const Parameters &parameters);

    /// The filling's name as provider and reader of coupled quantities.
    static std::string name() { return "li filling"; }
    /// Provides the "li pressure" (the trial p in D and chi), the "li filling" (1 in D) and the "li crack" (1 in chi).
    void provide_quantities(QuantityRegistry<dim> &registry) const;
    /// Reads the "displacement" and "volumetric strain" (required), the
    /// "damage" and "damage gradient" (cracks, if provided) and the "filling
    /// plating current" (required).
    void read_quantities(QuantityRegistry<dim> &registry);

    /// Marks D and chi on the current mesh for the current damage and
    /// displacement (collective; call after every mesh change and whenever d or u changed).
    void update_region();
    /// Adds to chi the open, cracked cells now connected to it, keeping the
    /// cells it has (collective): the passes of one load step only let Li
    /// into cracks, so that chi cannot cycle between passes. Same mesh only.
    void grow_cracks();
    /// The volumes and the current of the current state (collective).
    Measures measure() const;
    /// R(p) = V_Li^n + dt Omega I / F - (|D_0| + growth + opening) - V_Li^{n+1} p / K_Li
    /// (m^3, m^2 in 2D) at the trial pressure for a step of @p dt (s) with @p measures:
    /// positive while the Li has more volume than the cavity holds.
    double balance_residual(double dt, const Measures &measures) const;
    /// Sets the trial pressure p (Pa) that the provided "li pressure" carries.
    void set_pressure(double p) { trial_pressure = p; }
    /// The trial pressure (Pa).
    double pressure() const { return trial_pressure; }
    /// Accepts the step of @p dt (s) at the trial pressure: V_Li grows by dt
    /// Omega I / F; at the flow stress the excess volume R(p) flows out (extruded).
    void commit(double dt, const Measures &measures);
    /// Back to the committed pressure.
    void reset() { trial_pressure = committed_pressure; }

    /// V_Li = |D_0| + the plated volume (m^3, m^2 in 2D), stress-free, committed.
    double li_volume() const { return defect_measure + plated; }
    /// |D_0| (m^3, m^2 in 2D).
    double defect_volume() const { return defect_measure; }
    /// Measure of chi (m^3, m^2 in 2D).
    double crack_measure() const { return crack_cells_measure; }
    /// The parameters.
    const Parameters &get_parameters() const { return parameters; }
    /// li_volume, li_pressure, defect_volume_change, crack_opening_volume,
    /// li_compression_volume, extruded_volume, filling_charge, li_crack_measure
    /// for @p measures of the committed state.
    void add_statistics(StatisticsTable &table, const Measures &measures) const;
    /// Writes the scalar state exactly (D and chi follow from the mesh, d and u).
    void save_state(std::ostream &out) const;
    /// Reads what save_state() wrote.
    void load_state(std::istream &in);

    /// DG0 DoFs of the indicators.
    const dealii::DoFHandler<dim> &dof_handler() const { return dofs; }
    /// 1 in D (ghosted).
    const LA::MPI::Vector &defect_indicator() const { return in_defect; }
    /// 1 in chi (ghosted).
    const LA::MPI::Vector &crack_indicator() const { return in_crack; }

  private:
    /// Per active cell index (owned and ghost cells): true in the set.
    using CellFlags = std::vector<bool>;
    /// Copies the owned entries of @p flags to the ghosts of the other ranks
    /// through @p indicator (DG0, ghosted), which then holds them as 0 / 1.
    void exchange(CellFlags &flags, LA::MPI::Vector &indicator) const;
    /// chi by flood fill from D (and, with @p keep, from the cells chi
    /// already has) through the candidate cells (rank-independent).
    void fill_cracks(bool keep);
    /// -int_K u . grad d (m^3, m^2 in 2D) of every owned cell by active cell index.
    std::vector<double> cell_openings() const;

    const dealii::parallel::distributed::Triangulation<dim> &triangulation;
    const Geometry<dim>                                     &geometry;
    Parameters                                               parameters;
    dealii::FE_DGQ<dim>                                      fe;
    dealii::DoFHandler<dim>                                  dofs;
    LA::MPI::Vector                                          in_defect, in_crack;
    CellFlags                                                cell_in_defect, cell_in_crack;
    const Quantity<dim> *displacement = nullptr, *volumetric_strain = nullptr, *damage = nullptr,
                        *damage_gradient = nullptr, *plating_current = nullptr;
    double defect_measure      = 0; ///< |D_0|
    double crack_cells_measure = 0; ///< |chi|
    double plated              = 0; ///< Omega Q / F less the extruded volume (stress-free)
    double committed_pressure  = 0;
    double trial_pressure      = 0;
    double charge              = 0; ///< integral of the plating current (C, C/m in 2D)
    double extruded            = 0; ///< Li volume that flowed out at the flow stress
  };
} // namespace dendra
