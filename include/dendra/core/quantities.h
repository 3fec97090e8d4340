#pragma once

#include <dendra/base/linear_algebra.h>

#include <deal.II/base/quadrature.h>
#include <deal.II/base/symmetric_tensor.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/lac/vector.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dendra
{
  /// Evaluates a quantity at the points of one quadrature rule on a cell:
  /// values[q](c) is component c at point q (resized by the evaluator).
  template <int dim>
  using CellEvaluator = std::function<void(const typename dealii::Triangulation<dim>::active_cell_iterator &,
                                           std::vector<dealii::Vector<double>> &)>;

  /// A named coupled quantity that one field provides and others read (a
  /// coefficient, a state, a driving force), evaluated on the reader's own
  /// cells. Fields never call each other: they meet only through these.
  template <int dim>
  struct Quantity
  {
    std::string  name;             ///< e.g. "damage degradation"
    std::string  unit;             ///< SI unit of the values, "-" if none
    std::string  provider;         ///< name of the field that provides it
    unsigned int n_components = 1; ///< number of components (-)
    /// Makes an evaluator for the points of @p quadrature (with its own scratch data).
    std::function<CellEvaluator<dim>(const dealii::Quadrature<dim> &)> make_evaluator;
  };

  /// A quantity that is component range [@p first, first + n) of the ghosted
  /// finite-element vector @p state on @p dofs, optionally mapped pointwise by
  /// @p transform (which gets the cell, for material-dependent maps). Both
  /// references are read at every evaluation, so they may be re-initialised
  /// after mesh changes.
  template <int dim>
  Quantity<dim> make_fe_quantity(
    const std::string &name, const std::string &unit, const std::string &provider, const dealii::DoFHandler<dim> &dofs,
    const LA::MPI::Vector &state, unsigned int first = 0, unsigned int n = 1,
    std::function<void(const typename dealii::Triangulation<dim>::active_cell_iterator &, dealii::Vector<double> &)>
      transform = {});

  /// A quantity that is the gradient of component range [@p first, first +
  /// n) of the ghosted finite-element vector @p state on @p dofs: component
  /// c * dim + k is d(u_{first + c}) / dx_k, in the unit of the field per m;
  /// optionally mapped pointwise by @p transform (which may resize the
  /// values, e.g. to a trace). References are kept as by make_fe_quantity().
  template <int dim>
  Quantity<dim> make_fe_gradient_quantity(
    const std::string &name, const std::string &unit, const std::string &provider, const dealii::DoFHandler<dim> &dofs,
    const LA::MPI::Vector &state, unsigned int first = 0, unsigned int n = 1,
    std::function<void(const typename dealii::Triangulation<dim>::active_cell_iterator &, dealii::Vector<double> &)>
      transform = {});

  /// Integral of @p weight(cell, x, values) over the owned active cells
  /// (collective), where values are those of @p quantities at x in that
  /// order (Gauss rule of @p n_points per direction on the cells' linear
  /// geometry): the functionals of coupled quantities, such as a crack
  /// opening -int u . grad d. Only the cells for which @p where is true
  /// count, if given (the weight is zero elsewhere; the quantities are not
  /// evaluated there).
  template <int dim>
  double integrate_quantities(
    const std::vector<const Quantity<dim> *>                &quantities,
    const dealii::parallel::distributed::Triangulation<dim> &triangulation,
    const std::function<double(const typename dealii::Triangulation<dim>::active_cell_iterator &,
                               const dealii::Point<dim> &, const std::vector<const dealii::Vector<double> *> &)>
                                                                                                 &weight,
    unsigned int                                                                                  n_points = 3,
    const std::function<bool(const typename dealii::Triangulation<dim>::active_cell_iterator &)> &where    = {});

  /// The mean of the scalar @p quantity over every owned and ghost active
  /// cell (by active cell index), with a Gauss rule of @p n_points per direction.
  template <int dim>
  dealii::Vector<float> cell_means(const Quantity<dim> &quantity, const dealii::Triangulation<dim> &triangulation,
                                   unsigned int n_points = 2);

  /// Who provides which coupled quantity in a run, and who reads it. The
  /// Simulator fills it once at setup: every field provides, then every
  /// field reads. A required quantity without a provider is an InputError that
  /// names the reading field and the quantity.
  template <int dim>
  class QuantityRegistry
  {
  public:
    /// Adds @p quantity; a second provider of the same name is an InputError.
    void provide(const Quantity<dim> &quantity);
    /// The quantity @p name read by field @p reader; InputError if no field provides it.
    const Quantity<dim> &require(const std::string &name, const std::string &reader);
    /// The quantity @p name read by field @p reader, or nullptr if nobody provides it.
    const Quantity<dim> *find(const std::string &name, const std::string &reader);
    /// True if some field provides @p name.
    bool provides(const std::string &name) const { return quantities.count(name) > 0; }
    /// True if some field reads @p name.
    bool is_read(const std::string &name) const;
    /// True if field @p reader reads a quantity that field @p provider provides.
    bool reads_from(const std::string &reader, const std::string &provider) const;
    /// One line per connection made: "reader <- name (provider)".
    std::vector<std::string> connections() const;

  private:
    std::map<std::string, Quantity<dim>>             quantities;
    std::vector<std::pair<std::string, std::string>> reads; ///< (reader, quantity) of every connection
  };

  /// The symmetric 3x3 tensor of the six components xx, yy, zz, xy, xz, yz
  /// of a tensor quantity such as "stress".
  inline dealii::SymmetricTensor<2, 3> symmetric_tensor_from_components(const dealii::Vector<double> &v)
  {
    dealii::SymmetricTensor<2, 3> t;
    t[0][0] = v[0];
    t[1][1] = v[1];
    t[2][2] = v[2];
    t[0][1] = v[3];
    t[0][2] = v[4];
    t[1][2] = v[5];
    return t;
  }

  /// Names of the coupled quantities the fields of Dendra exchange (one
  /// spelling, one meaning). Units in brackets.
  namespace quantity_names
  {
    inline const std::string damage = "damage"; ///< d [-] in the damageable materials, 0 elsewhere
    /// g(d) [-]: the degradation of damage-dependent coefficients (stiffness,
    /// ionic conductivity) in the damageable materials, exactly 1 elsewhere.
    inline const std::string degradation = "damage degradation";
    /// psi+ [J/m^3]: the tensile elastic energy that drives damage, undegraded.
    inline const std::string tensile_energy = "tensile elastic energy";
    /// The full 3x3 stress [Pa], components xx, yy, zz, xy, xz, yz.
    inline const std::string stress = "stress";
    /// Li-metal phase field xi [-] (1 = metal; 0 in conducting hosts, which are not Li).
    inline const std::string li_phase = "li phase";
    /// Plated Li per cell [-]: the cell mean of h(xi) - h(xi_ref), the Li
    /// grown since the stress-free state (0 in hosts).
    inline const std::string plated_li = "plated li fraction";
    /// Volumetric eigenstrain of Li plated into a confined region (a defect and its cracks) [-].
    inline const std::string deposit_eigenstrain = "deposit volumetric eigenstrain";
    /// The displacement u [m], dim components.
    inline const std::string displacement = "displacement";
    /// The volumetric strain tr eps(u) = div u [-] (in-plane in 2D).
    inline const std::string volumetric_strain = "volumetric strain";
    /// grad d [1/m], dim components, in the damageable materials (0 elsewhere).
    inline const std::string damage_gradient = "damage gradient";
    /// Pressure p [Pa] of the Li filling a defect and its crack openings, in
    /// the cells it fills (0 elsewhere).
    inline const std::string li_pressure = "li pressure";
    /// 1 [-] in the cells of the defect cavity that Li fills (a pressurised filling), 0 elsewhere.
    inline const std::string li_filling = "li filling";
    /// 1 [-] in the cells of the Li-filled crack band, 0 elsewhere.
    inline const std::string li_crack = "li crack";
    /// The plating current into a Li filling through a cell's electrode faces
    /// and crack band over the cell's measure [A/m^3; A/m^2 in 2D], on owned cells.
    inline const std::string filling_current = "filling plating current";
  } // namespace quantity_names
} // namespace dendra
