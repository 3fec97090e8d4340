#pragma once

#include <dendra/postprocess/output_writer.h>

#include <dendra/base/linear_algebra.h>
#include <dendra/core/quantities.h>
#include <dendra/coupling/li_filling.h>
#include <dendra/kinetics/electrode_kinetics.h>
#include <dendra/materials/material_library.h>
#include <dendra/mesh/geometry.h>

#include <deal.II/base/function.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe_dgq.h>
#include <deal.II/lac/vector.h>

#include <functional>
#include <iosfwd>
#include <memory>
#include <set>

namespace dendra
{
  /// The Li plated before and during a run into a confined region of a solid
  /// electrolyte: the filling of an interfacial defect, and the cracks it
  /// opens. A cell-wise indicator marks the Li region R = initial deposit
  /// plus the damageable cells whose mean damage exceeds the opening damage
  /// (Li follows into a crack). The plated Li is a volumetric eigenstrain
  /// eps_v spread over R: prescribed as a function of time, or Faradaic,
  /// eps_v = V_plated / |R| with dV_plated/dt = i Omega_Li / F x (area of R
  /// facing the electrolyte). Subsection "Plating".
  template <int dim>
  class DefectDeposit
  {
  public:
    /// How the plated volume grows.
    enum class Growth
    {
      prescribed, ///< eps_v(t) given by Deposit volumetric eigenstrain
      faradaic    ///< eps_v from the current through the exposed surface of R
    };
    /// Parameters of subsection "Plating".
    struct Parameters
    {
      Growth                                 growth = Growth::prescribed;
      std::shared_ptr<dealii::Function<dim>> prescribed_eigenstrain; ///< eps_v(t) (-)
      double current_density = 10;      ///< plating current density on the exposed surface (A/m^2)
      /// Faradaic growth from the shared kinetics module (Plating current =
      /// kinetics) instead of the fixed current_density: null if fixed.
      std::shared_ptr<const ElectrodeKinetics> kinetics;
      double surface_overpotential = -0.05; ///< eta_s of the exposed surface without the pressure term (V)
      double molar_volume    = 1.30e-5; ///< Omega_Li (m^3/mol), from Materials/Li metal/Molar volume
      double opening_damage  = 0.95;    ///< mean d (-) above which a damageable cell fills with Li
      /// Li model = pressurised filling: the Li is a LiFilling with these
      /// parameters instead of an eigenstrain (false: the eigenstrain model).
      bool                                   pressurised_filling = false;
      typename LiFilling<dim>::Parameters    filling;
      /// Declares subsection "Plating".
      static void declare_parameters(dealii::ParameterHandler &prm);
      /// Reads subsection "Plating"; Omega_Li is Li metal's Molar volume in @p materials.
      void parse_parameters(dealii::ParameterHandler &prm, const MaterialLibrary &materials);
    };

    /// The initial deposit of @p geometry on @p triangulation (kept by reference).
    DefectDeposit(const dealii::parallel::distributed::Triangulation<dim> &triangulation, const Geometry<dim> &geometry,
                  const Parameters &parameters);

    /// The pressurised Li filling (Li model = pressurised filling), else nullptr.
    LiFilling<dim> *filling() const { return li_filling.get(); }
    /// Back to the committed state of a step (the filling's trial pressure).
    void reset()
    {
      if (li_filling)
        li_filling->reset();
    }

    /// With the pressurised filling: its quantities (see LiFilling). Else
    /// provides the "deposit volumetric eigenstrain": eps_v of the last
    /// set_time() in R, 0 elsewhere. eps_v stays that of set_time() when R
    /// grows afterwards (until the next set_time()).
    void provide_quantities(QuantityRegistry<dim> &registry) const;
    /// Reads the "damage" (if a field provides it): cracked cells join R;
    /// with kinetics also the "stress" (InputError if no field provides it): the Li pressure.
    void read_quantities(QuantityRegistry<dim> &registry);
    /// Sets the time (s) of the provided eigenstrain.
    void set_time(double t) { eigenstrain_at_set_time = eigenstrain(t); }

    /// Marks R on the current mesh: the initial deposit, and, with damage,
    /// the cells whose mean damage reaches the opening damage; @p
    /// with_filling also the pressurised filling's D and chi (not after the
    /// damage's commit: the step's chi is that of its balance). Call after
    /// every mesh change and commit.
    void update_region(bool with_filling = true);
    /// Adds to R the cells the damage opens, keeping the cells already in R
    /// (within a load step R only grows, so the passes that settle it end).
    /// True if R grew on any rank; false without damage.
    bool grow_region();
    /// eps_v (-) at time @p time (s), for the plated volume up to then.
    double eigenstrain(double time) const;
    /// Plated volume (m^3, m^2 in 2D) at @p time (s): the committed volume
    /// plus the growth since the commit at the current exposed area.
    double plated_volume(double time) const;
    /// Accepts the state at @p time (s): the plated volume becomes the start
    /// of the next step; with kinetics, the plating current density of the
    /// next step follows from the Li pressure now (explicit in time).
    void commit(double time);
    /// The Li pressure p = -mean sigma_h over R (Pa) of the stress read (with
    /// kinetics; else 0). Collective: call on every rank.
    double li_pressure() const;
    /// Plating current density on the exposed surface (A/m^2): the fixed one,
    /// or with kinetics -i_n(eta_s + Omega_Li p / F) at the pressure of the
    /// last commit (hydrostatic mechanical overpotential; negative: Li dissolves).
    double plating_current_density() const { return current_density; }
    /// Writes the plated volume's state exactly, for a checkpoint (R follows from the damage).
    void save_state(std::ostream &out) const;
    /// Reads what save_state() wrote.
    void load_state(std::istream &in);

    /// DG0 DoFs of the indicator.
    const dealii::DoFHandler<dim> &dof_handler() const { return dofs; }
    /// 1 in R, 0 elsewhere (ghosted).
    const LA::MPI::Vector &indicator() const { return in_region; }
    /// |R| (m^3, m^2 in 2D).
    double region_measure() const { return measure; }
    /// The deposit's name as provider and reader of coupled quantities.
    static std::string name() { return "plating"; }
    /// Adds deposit_eigenstrain (-), plated_area and li_region_area (m^2;
    /// _volume in m^3 in 3D) at @p time (s) to the current row of @p table;
    /// with kinetics also deposit_pressure (Pa) and deposit_current_density
    /// (A/m^2), the current of the next step at that pressure.
    void add_statistics(StatisticsTable &table, double time) const;
    /// Area (m^2, m in 2D) of the faces of R against material that is neither R nor the fill.
    double exposed_area() const { return exposed; }
    /// True if plating grows the volume (Faradaic).
    bool faradaic() const { return parameters.growth == Growth::faradaic; }

  private:
    using CellIterator = typename dealii::DoFHandler<dim>::active_cell_iterator;

    /// True if the locally owned @p cell is opened by @p cell_damage (mean d per active cell).
    bool opened(const CellIterator &cell, const dealii::Vector<float> &cell_damage) const;
    /// The mean damage of every owned and ghost cell (0 where it cannot damage).
    dealii::Vector<float> cell_damage() const;
    /// True if the owned or ghost @p cell is in R.
    bool in_r(const CellIterator &cell) const;
    /// Sets R to the owned cells where @p in_new_region holds, evaluated
    /// before R changes, and updates the ghosts (in_region must be sized).
    void mark_region(const std::function<bool(const CellIterator &)> &in_new_region);
    /// |R| and its exposed area on the current mesh.
    void measure_region();

    const dealii::parallel::distributed::Triangulation<dim> &triangulation;
    const Geometry<dim>                                     &geometry;
    Parameters                                               parameters;
    dealii::FE_DGQ<dim>                                      fe;
    dealii::DoFHandler<dim>                                  dofs;
    LA::MPI::Vector                                          in_region;
    dealii::types::material_id fill    = dealii::numbers::invalid_material_id; ///< material of the initial deposit
    double                     measure = 0;
    double                     exposed = 0;
    double                     committed_volume        = 0;       ///< plated volume at committed_time (m^3 or m^2)
    double                     committed_time          = 0;       ///< s
    double                     eigenstrain_at_set_time = 0;       ///< eps_v (-) provided, see set_time()
    const Quantity<dim>       *damage                  = nullptr; ///< "damage" (-); null: none
    const Quantity<dim>       *stress                  = nullptr; ///< "stress" (Pa), read with kinetics; null: none
    double                     current_density         = 0;       ///< see plating_current_density() (A/m^2)
    double                     pressure                = 0;       ///< li_pressure() at the last commit (Pa)
    std::unique_ptr<LiFilling<dim>> li_filling;                        ///< with Li model = pressurised filling
  };
} // namespace dendra
