#include <dendra/base/exceptions.h>
#include <dendra/core/quantities.h>

#include <deal.II/base/mpi.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/fe/fe_nothing.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/fe/mapping_q.h>

namespace dendra
{
  using namespace dealii;

  namespace
  {
    /// The cell of @p dofs that is the same mesh cell as @p cell.
    template <int dim>
    typename DoFHandler<dim>::active_cell_iterator
    same_dof_cell(const typename Triangulation<dim>::active_cell_iterator &cell, const DoFHandler<dim> &dofs)
    {
      return
        typename DoFHandler<dim>::active_cell_iterator(&cell->get_triangulation(), cell->level(), cell->index(), &dofs);
    }
  } // namespace

  template <int dim>
  Quantity<dim> make_fe_quantity(
    const std::string &name, const std::string &unit, const std::string &provider, const DoFHandler<dim> &dofs,
    const LA::MPI::Vector &state, const unsigned int first, const unsigned int n,
    std::function<void(const typename Triangulation<dim>::active_cell_iterator &, Vector<double> &)> transform)
  {
    Quantity<dim> quantity;
    quantity.name           = name;
    quantity.unit           = unit;
    quantity.provider       = provider;
    quantity.n_components   = n;
    quantity.make_evaluator = [&dofs, &state, first, n, transform](const Quadrature<dim> &quadrature) {
      // Values at the reference points need no mapping of higher degree.
      auto mapping   = std::make_shared<MappingQ<dim>>(1);
      auto fe_values = std::make_shared<FEValues<dim>>(*mapping, dofs.get_fe(), quadrature, update_values);
      auto all =
        std::make_shared<std::vector<Vector<double>>>(quadrature.size(), Vector<double>(dofs.get_fe().n_components()));
      return CellEvaluator<dim>(
        [&dofs, &state, first, n, transform, mapping, fe_values,
         all](const typename Triangulation<dim>::active_cell_iterator &cell, std::vector<Vector<double>> &values) {
          fe_values->reinit(same_dof_cell(cell, dofs));
          fe_values->get_function_values(state, *all);
          values.resize(all->size());
          for (unsigned int q = 0; q < all->size(); ++q)
            {
              values[q].reinit(n);
              for (unsigned int c = 0; c < n; ++c)
                values[q][c] = (*all)[q][first + c];
              if (transform)
                transform(cell, values[q]);
            }
        });
    };
    return quantity;
  }

  template <int dim>
  Quantity<dim> make_fe_gradient_quantity(
    const std::string &name, const std::string &unit, const std::string &provider, const DoFHandler<dim> &dofs,
    const LA::MPI::Vector &state, const unsigned int first, const unsigned int n,
    std::function<void(const typename Triangulation<dim>::active_cell_iterator &, Vector<double> &)> transform)
  {
    Quantity<dim> quantity;
    quantity.name           = name;
    quantity.unit           = unit;
    quantity.provider       = provider;
    quantity.n_components   = n * dim;
    quantity.make_evaluator = [&dofs, &state, first, n, transform](const Quadrature<dim> &quadrature) {
      auto mapping   = std::make_shared<MappingQ<dim>>(1);
      auto fe_values = std::make_shared<FEValues<dim>>(*mapping, dofs.get_fe(), quadrature, update_gradients);
      auto all       = std::make_shared<std::vector<std::vector<Tensor<1, dim>>>>(
        quadrature.size(), std::vector<Tensor<1, dim>>(dofs.get_fe().n_components()));
      return CellEvaluator<dim>(
        [&dofs, &state, first, n, transform, mapping, fe_values,
         all](const typename Triangulation<dim>::active_cell_iterator &cell, std::vector<Vector<double>> &values) {
          fe_values->reinit(same_dof_cell(cell, dofs));
          fe_values->get_function_gradients(state, *all);
          values.resize(all->size());
          for (unsigned int q = 0; q < all->size(); ++q)
            {
              values[q].reinit(n * dim);
              for (unsigned int c = 0; c < n; ++c)
                for (unsigned int k = 0; k < dim; ++k)
                  values[q][c * dim + k] = (*all)[q][first + c][k];
              if (transform)
                transform(cell, values[q]);
            }
        });
    };
    return quantity;
  }

  template <int dim>
  double integrate_quantities(
    const std::vector<const Quantity<dim> *>                                             &quantities,
    const parallel::distributed::Triangulation<dim>                                      &triangulation,
    const std::function<double(const typename Triangulation<dim>::active_cell_iterator &, const Point<dim> &,
                               const std::vector<const Vector<double> *> &)>             &weight,
    const unsigned int                                                                    n_points,
    const std::function<bool(const typename Triangulation<dim>::active_cell_iterator &)> &where)
  {
    const QGauss<dim>     quadrature(n_points);
    const MappingQ<dim>   mapping(1);
    const FE_Nothing<dim> no_element; // FEValues keeps a pointer to it
    FEValues<dim>         geometry(mapping, no_element, quadrature, update_quadrature_points | update_JxW_values);
    std::vector<CellEvaluator<dim>> evaluators;
    for (const Quantity<dim> *quantity : quantities)
      evaluators.push_back(quantity->make_evaluator(quadrature));
    std::vector<std::vector<Vector<double>>> values(quantities.size());
    std::vector<const Vector<double> *>      at_point(quantities.size());
    double                                   integral = 0;
    for (const auto &cell : triangulation.active_cell_iterators())
      if (cell->is_locally_owned() && (!where || where(cell)))
        {
          geometry.reinit(cell);
          for (unsigned int i = 0; i < evaluators.size(); ++i)
            evaluators[i](cell, values[i]);
          for (unsigned int q = 0; q < quadrature.size(); ++q)
            {
              for (unsigned int i = 0; i < evaluators.size(); ++i)
                at_point[i] = &values[i][q];
              integral += weight(cell, geometry.quadrature_point(q), at_point) * geometry.JxW(q);
            }
        }
    return Utilities::MPI::sum(integral, triangulation.get_communicator());
  }

  template <int dim>
  Vector<float> cell_means(const Quantity<dim> &quantity, const Triangulation<dim> &triangulation,
                           const unsigned int n_points)
  {
    Assert(quantity.n_components == 1, ExcMessage("cell_means() needs a scalar quantity"));
    const QGauss<dim>           quadrature(n_points);
    const MappingQ<dim>         mapping(1);
    const FE_Nothing<dim>       no_element; // FEValues keeps a pointer to it
    FEValues<dim>               geometry(mapping, no_element, quadrature, update_JxW_values);
    const auto                  evaluate = quantity.make_evaluator(quadrature);
    std::vector<Vector<double>> values;
    Vector<float>               mean(triangulation.n_active_cells());
    for (const auto &cell : triangulation.active_cell_iterators())
      if (!cell->is_artificial())
        {
          geometry.reinit(cell);
          evaluate(cell, values);
          double integral = 0;
          for (unsigned int q = 0; q < quadrature.size(); ++q)
            integral += values[q][0] * geometry.JxW(q);
          mean[cell->active_cell_index()] = integral / cell->measure();
        }
    return mean;
  }

  template <int dim>
  void QuantityRegistry<dim>::provide(const Quantity<dim> &quantity)
  {
    const auto existing = quantities.find(quantity.name);
    require_input(existing == quantities.end(),
                  "Simulation/Fields: fields '" + (existing == quantities.end() ? "" : existing->second.provider) +
                    "' and '" + quantity.provider + "' both provide '" + quantity.name + "'; choose one of them");
    Assert(quantity.make_evaluator, ExcMessage("a quantity needs an evaluator"));
    quantities[quantity.name] = quantity;
  }

  template <int dim>
  const Quantity<dim> &QuantityRegistry<dim>::require(const std::string &name, const std::string &reader)
  {
    const Quantity<dim> *quantity = find(name, reader);
    require_input(quantity != nullptr, "Simulation/Fields: field '" + reader + "' needs the quantity '" + name +
                                         "', which no active field provides");
    return *quantity;
  }

  template <int dim>
  const Quantity<dim> *QuantityRegistry<dim>::find(const std::string &name, const std::string &reader)
  {
    const auto it = quantities.find(name);
    if (it == quantities.end())
      return nullptr;
    reads.emplace_back(reader, name);
    return &it->second;
  }

  template <int dim>
  bool QuantityRegistry<dim>::is_read(const std::string &name) const
  {
    for (const auto &[reader, quantity] : reads)
      if (quantity == name)
        return true;
    return false;
  }

  template <int dim>
  bool QuantityRegistry<dim>::reads_from(const std::string &reader, const std::string &provider) const
  {
    for (const auto &[who, quantity] : reads)
      if (who == reader && quantities.at(quantity).provider == provider)
        return true;
    return false;
  }

  template <int dim>
  std::vector<std::string> QuantityRegistry<dim>::connections() const
  {
    std::vector<std::string> lines;
    for (const auto &[reader, name] : reads)
      lines.push_back(reader + " <- " + name + " (" + quantities.at(name).provider + ")");
    return lines;
  }

  template Quantity<2>
  make_fe_quantity(const std::string &, const std::string &, const std::string &, const DoFHandler<2> &,
                   const LA::MPI::Vector &, unsigned int, unsigned int,
                   std::function<void(const typename Triangulation<2>::active_cell_iterator &, Vector<double> &)>);
  template Quantity<3>
  make_fe_quantity(const std::string &, const std::string &, const std::string &, const DoFHandler<3> &,
                   const LA::MPI::Vector &, unsigned int, unsigned int,
                   std::function<void(const typename Triangulation<3>::active_cell_iterator &, Vector<double> &)>);
  template Quantity<2> make_fe_gradient_quantity(
    const std::string &, const std::string &, const std::string &, const DoFHandler<2> &, const LA::MPI::Vector &,
    unsigned int, unsigned int,
    std::function<void(const typename Triangulation<2>::active_cell_iterator &, Vector<double> &)>);
  template Quantity<3> make_fe_gradient_quantity(
    const std::string &, const std::string &, const std::string &, const DoFHandler<3> &, const LA::MPI::Vector &,
    unsigned int, unsigned int,
    std::function<void(const typename Triangulation<3>::active_cell_iterator &, Vector<double> &)>);
  template double
  integrate_quantities(const std::vector<const Quantity<2> *> &, const parallel::distributed::Triangulation<2> &,
                       const std::function<double(const typename Triangulation<2>::active_cell_iterator &,
                                                  const Point<2> &, const std::vector<const Vector<double> *> &)> &,
                       unsigned int,
                       const std::function<bool(const typename Triangulation<2>::active_cell_iterator &)> &);
  template double
  integrate_quantities(const std::vector<const Quantity<3> *> &, const parallel::distributed::Triangulation<3> &,
                       const std::function<double(const typename Triangulation<3>::active_cell_iterator &,
                                                  const Point<3> &, const std::vector<const Vector<double> *> &)> &,
                       unsigned int,
                       const std::function<bool(const typename Triangulation<3>::active_cell_iterator &)> &);
  template Vector<float> cell_means(const Quantity<2> &, const Triangulation<2> &, unsigned int);
  template Vector<float> cell_means(const Quantity<3> &, const Triangulation<3> &, unsigned int);
  template class QuantityRegistry<2>;
  template class QuantityRegistry<3>;
} // namespace dendra
