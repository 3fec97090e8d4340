#include <dendra/base/exceptions.h>
#include <dendra/coupling/li_filling.h>
#include <dendra/kinetics/electrode_kinetics.h>

#include <deal.II/base/mpi.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_nothing.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/fe/mapping_q.h>

#include <iomanip>
#include <istream>
#include <ostream>

namespace dendra
{
  using namespace dealii;

  namespace
  {
    /// A quantity with the value @p value(active cell index) at every point of a cell.
    template <int dim>
    Quantity<dim> cellwise(const std::string &name, const std::string &unit, const std::string &provider,
                           const std::function<double(unsigned int)> &value)
    {
      Quantity<dim> quantity;
      quantity.name           = name;
      quantity.unit           = unit;
      quantity.provider       = provider;
      quantity.make_evaluator = [value](const Quadrature<dim> &quadrature) {
        return CellEvaluator<dim>(
          [value, n = quadrature.size()](const typename Triangulation<dim>::active_cell_iterator &cell,
                                         std::vector<Vector<double>>                             &values) {
            values.assign(n, Vector<double>(1));
            const double v = value(cell->active_cell_index());
            for (auto &x : values)
              x[0] = v;
          });
      };
      return quantity;
    }
  } // namespace

  template <int dim>
  LiFilling<dim>::LiFilling(const parallel::distributed::Triangulation<dim> &triangulation,
                            const Geometry<dim> &geometry, const Parameters &parameters)
    : triangulation(triangulation)
    , geometry(geometry)
    , parameters(parameters)
    , fe(0)
    , dofs(triangulation)
  {}

  template <int dim>
  void LiFilling<dim>::provide_quantities(QuantityRegistry<dim> &registry) const
  {
    registry.provide(cellwise<dim>(quantity_names::li_pressure, "Pa", name(), [this](const unsigned int i) {
      return (cell_in_defect[i] || cell_in_crack[i]) ? trial_pressure : 0.0;
    }));
    registry.provide(cellwise<dim>(quantity_names::li_filling, "-", name(),
                                   [this](const unsigned int i) { return cell_in_defect[i] ? 1.0 : 0.0; }));
    registry.provide(cellwise<dim>(quantity_names::li_crack, "-", name(),
                                   [this](const unsigned int i) { return cell_in_crack[i] ? 1.0 : 0.0; }));
  }

  template <int dim>
  void LiFilling<dim>::read_quantities(QuantityRegistry<dim> &registry)
  {
    displacement      = &registry.require(quantity_names::displacement, name());
    volumetric_strain = &registry.require(quantity_names::volumetric_strain, name());
    damage            = registry.find(quantity_names::damage, name());
    damage_gradient   = damage ? &registry.require(quantity_names::damage_gradient, name()) : nullptr;
    plating_current   = &registry.require(quantity_names::filling_current, name());
  }

  template <int dim>
  void LiFilling<dim>::exchange(CellFlags &flags, LA::MPI::Vector &indicator) const
  {
    LA::MPI::Vector owned(dofs.locally_owned_dofs(), triangulation.get_communicator());
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        owned(cell->dof_index(0)) = flags[cell->active_cell_index()] ? 1.0 : 0.0;
    owned.compress(VectorOperation::insert);
    indicator = owned;
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_ghost())
        flags[cell->active_cell_index()] = indicator[cell->dof_index(0)] > 0.5;
  }

  template <int dim>
  void LiFilling<dim>::update_region()
  {
    dofs.distribute_dofs(fe);
    IndexSet relevant;
    DoFTools::extract_locally_relevant_dofs(dofs, relevant);
    const MPI_Comm communicator = triangulation.get_communicator();
    in_defect.reinit(dofs.locally_owned_dofs(), relevant, communicator);
    in_crack.reinit(dofs.locally_owned_dofs(), relevant, communicator);
    cell_in_defect.assign(triangulation.n_active_cells(), false);
    double measure = 0;
    for (const auto &cell : triangulation.active_cell_iterators())
      if (!cell->is_artificial() && geometry.in_initial_deposit(cell->center()))
        {
          cell_in_defect[cell->active_cell_index()] = true;
          if (cell->is_locally_owned())
            measure += cell->measure();
        }
    exchange(cell_in_defect, in_defect);
    defect_measure = Utilities::MPI::sum(measure, communicator); // full of Li at rest
    fill_cracks(false);
  }

  template <int dim>
  void LiFilling<dim>::grow_cracks()
  {
    AssertDimension(cell_in_crack.size(), triangulation.n_active_cells());
    fill_cracks(true);
  }

  template <int dim>
  std::vector<double> LiFilling<dim>::cell_openings() const
  {
    std::vector<double> opening(triangulation.n_active_cells(), 0.0);
    const QGauss<dim>   quadrature(3);
    const MappingQ<dim> mapping(1);
    FE_Nothing<dim>     no_element;
    FEValues<dim>       geometry_values(mapping, no_element, quadrature, update_JxW_values);
    const auto u_at = displacement->make_evaluator(quadrature), grad_d_at = damage_gradient->make_evaluator(quadrature);
    std::vector<Vector<double>> u, grad_d;
    for (const auto &cell : triangulation.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          geometry_values.reinit(cell);
          u_at(cell, u);
          grad_d_at(cell, grad_d);
          double o = 0;
          for (unsigned int q = 0; q < quadrature.size(); ++q)
            for (unsigned int k = 0; k < dim; ++k)
              o -= u[q][k] * grad_d[q][k] * geometry_values.JxW(q);
          opening[cell->active_cell_index()] = o;
        }
    return opening;
  }

  template <int dim>
  void LiFilling<dim>::fill_cracks(const bool keep)
  {
    if (!keep)
      cell_in_crack.assign(triangulation.n_active_cells(), false);
    const MPI_Comm communicator = triangulation.get_communicator();
    if (!damage)
      {
        exchange(cell_in_crack, in_crack);
        crack_cells_measure = 0;
        return;
      }
    // Candidates: cracked enough and open. Then the connected part from D,
    // swept locally until it stays, then across ranks until no rank adds.
    const Vector<float>       mean_damage = cell_means(*damage, triangulation);
    const std::vector<double> opening     = cell_openings();
    const auto                candidate   = [&](const auto &cell) {
      return mean_damage[cell->active_cell_index()] >= parameters.crack_fill_damage &&
             opening[cell->active_cell_index()] > 0;
    };
    const auto filled = [&](const auto &cell) {
      return cell_in_defect[cell->active_cell_index()] || cell_in_crack[cell->active_cell_index()];
    };
    const auto touches_filled = [&](const auto &cell) {
      for (const unsigned int f : cell->face_indices())
        {
          if (cell->at_boundary(f))
            continue;
          if (!cell->neighbor_is_coarser(f) && cell->face(f)->has_children())
            {
              for (unsigned int sf = 0; sf < cell->face(f)->n_children(); ++sf)
                if (filled(cell->neighbor_child_on_subface(f, sf)))
                  return true;
            }
          else if (filled(cell->neighbor(f)))
            return true;
        }
      return false;
    };
    for (bool grew_anywhere = true; grew_anywhere;)
      {
        bool grew = false;
        for (bool grew_here = true; grew_here;)
          {
            grew_here = false;
            for (const auto &cell : triangulation.active_cell_iterators())
              if (cell->is_locally_owned() && !filled(cell) && candidate(cell) && touches_filled(cell))
                {
                  cell_in_crack[cell->active_cell_index()] = true;
                  grew_here = grew = true;
                }
          }
        exchange(cell_in_crack, in_crack);
        grew_anywhere = Utilities::MPI::logical_or(grew, communicator);
      }
    double measure = 0;
    for (const auto &cell : triangulation.active_cell_iterators())
      if (cell->is_locally_owned() && cell_in_crack[cell->active_cell_index()])
        measure += cell->measure();
    crack_cells_measure = Utilities::MPI::sum(measure, communicator);
  }

  template <int dim>
  typename LiFilling<dim>::Measures LiFilling<dim>::measure() const
  {
    Measures   m;
    const auto in_defect = [this](const auto &cell) { return cell_in_defect[cell->active_cell_index()] != 0; };
    const auto in_crack  = [this](const auto &cell) { return cell_in_crack[cell->active_cell_index()] != 0; };
    m.defect_growth      = integrate_quantities<dim>(
      {volumetric_strain}, triangulation,
      [](const auto &, const Point<dim> &, const std::vector<const Vector<double> *> &v) { return (*v[0])[0]; }, 3,
      in_defect);
    if (damage_gradient)
      m.crack_opening = integrate_quantities<dim>(
        {displacement, damage_gradient}, triangulation,
        [](const auto &, const Point<dim> &, const std::vector<const Vector<double> *> &v) {
          double u_dot_grad_d = 0;
          for (unsigned int k = 0; k < dim; ++k)
            u_dot_grad_d += (*v[0])[k] * (*v[1])[k];
          return -u_dot_grad_d;
        },
        3, in_crack);
    m.plating_current = integrate_quantities<dim>(
      {plating_current}, triangulation,
      [](const auto &, const Point<dim> &, const std::vector<const Vector<double> *> &v) { return (*v[0])[0]; });
    return m;
  }

  template <int dim>
  double LiFilling<dim>::balance_residual(const double dt, const Measures &m) const
  {
    const double li = li_volume() + dt * parameters.molar_volume * m.plating_current / constants::faraday;
    return li - (defect_measure + m.defect_growth + m.crack_opening) - li * trial_pressure / parameters.bulk_modulus;
  }

  template <int dim>
  void LiFilling<dim>::commit(const double dt, const Measures &m)
  {
    const double residual = balance_residual(dt, m);
    plated += dt * parameters.molar_volume * m.plating_current / constants::faraday;
    charge += dt * m.plating_current;
    // Capped at the flow stress, the Li the cavity cannot hold flows out.
    if (parameters.flow_stress > 0 && trial_pressure >= parameters.flow_stress && residual > 0)
      {
        const double out = residual / (1 - trial_pressure / parameters.bulk_modulus);
        extruded += out;
        plated -= out;
      }
    committed_pressure = trial_pressure;
  }

  template <int dim>
  void LiFilling<dim>::add_statistics(StatisticsTable &table, const Measures &m) const
  {
    const std::string unit = dim == 2 ? "m^2" : "m^3";
    table.add_value("li_volume", unit, li_volume());
    table.add_value("li_pressure", "Pa", committed_pressure);
    table.add_value("defect_volume_change", unit, m.defect_growth);
    table.add_value("crack_opening_volume", unit, m.crack_opening);
    table.add_value("li_compression_volume", unit, li_volume() * committed_pressure / parameters.bulk_modulus);
    table.add_value("extruded_volume", unit, extruded);
    table.add_value("filling_charge", dim == 2 ? "C/m" : "C", charge);
    table.add_value("li_crack_measure", unit, crack_cells_measure);
  }

  template <int dim>
  void LiFilling<dim>::save_state(std::ostream &out) const
  {
    out << "filling " << std::setprecision(17) << plated << ' ' << committed_pressure << ' ' << charge << ' '
        << extruded << '\n';
  }

  template <int dim>
  void LiFilling<dim>::load_state(std::istream &in)
  {
    std::string word;
    in >> word >> plated >> committed_pressure >> charge >> extruded;
    AssertThrow(word == "filling", ExcMessage("a checkpoint's Li filling state is damaged"));
    trial_pressure = committed_pressure;
  }

  template class LiFilling<2>;
  template class LiFilling<3>;
} // namespace dendra
