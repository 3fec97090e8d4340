#pragma once

// Exact solutions and small helpers shared by the unit tests.

#include <dendra/core/quantities.h>

#include <deal.II/base/function.h>
#include <deal.II/base/point.h>
#include <deal.II/base/tensor.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace dendra::testing
{
  using namespace dealii;

  /// A scalar coupled quantity @p name with the value @p value(cell) at every point of a cell.
  template <int dim>
  Quantity<dim>
  cellwise_quantity(const std::string                                                               &name,
                    std::function<double(const typename Triangulation<dim>::active_cell_iterator &)> value)
  {
    Quantity<dim> q;
    q.name           = name;
    q.unit           = "-";
    q.provider       = "test";
    q.make_evaluator = [value](const Quadrature<dim> &quadrature) {
      return CellEvaluator<dim>(
        [value, n = quadrature.size()](const typename Triangulation<dim>::active_cell_iterator &cell,
                                       std::vector<Vector<double>>                             &values) {
          values.assign(n, Vector<double>(1));
          for (auto &v : values)
            v[0] = value(cell);
        });
    };
    return q;
  }

  /// Observed convergence rate between two (h, error) pairs.
  inline double rate(const double h_coarse, const double e_coarse, const double h_fine, const double e_fine)
  {
    return std::log(e_coarse / e_fine) / std::log(h_coarse / h_fine);
  }

  /// u = prod_k sin(pi x_k + a_k + shift): value, gradient and Hessian.
  template <int dim>
  struct SineProduct
  {
    double shift = 0;

    double phase(const unsigned int k) const { return 0.3 + 0.2 * k + shift; }

    double value(const Point<dim> &p) const
    {
      double v = 1;
      for (unsigned int k = 0; k < dim; ++k)
        v *= std::sin(numbers::PI * p[k] + phase(k));
      return v;
    }

    /// Product over k of f_k, where f_k is sin except for the listed indices (cos).
    double product(const Point<dim> &p, const int cos1, const int cos2 = -1) const
    {
      double v = 1;
      for (int k = 0; k < dim; ++k)
        v *=
          (k == cos1 || k == cos2) ? std::cos(numbers::PI * p[k] + phase(k)) : std::sin(numbers::PI * p[k] + phase(k));
      return v;
    }

    Tensor<1, dim> gradient(const Point<dim> &p) const
    {
      Tensor<1, dim> g;
      for (unsigned int j = 0; j < dim; ++j)
        g[j] = numbers::PI * product(p, j);
      return g;
    }

    Tensor<2, dim> hessian(const Point<dim> &p) const
    {
      Tensor<2, dim> h;
      const double   pi2 = numbers::PI * numbers::PI;
      for (unsigned int i = 0; i < dim; ++i)
        for (unsigned int j = 0; j < dim; ++j)
          h[i][j] = (i == j) ? -pi2 * value(p) : pi2 * product(p, i, j);
      return h;
    }
  };

  /// A deal.II Function whose components are given by lambdas.
  template <int dim>
  class LambdaFunction : public Function<dim>
  {
  public:
    using Component = std::function<double(const Point<dim> &)>;
    LambdaFunction(std::vector<Component>                                          components,
                   std::function<Tensor<1, dim>(const Point<dim> &, unsigned int)> gradient = {})
      : Function<dim>(components.size())
      , components(std::move(components))
      , gradient_of(std::move(gradient))
    {}
    double         value(const Point<dim> &p, const unsigned int c = 0) const override { return components[c](p); }
    Tensor<1, dim> gradient(const Point<dim> &p, const unsigned int c = 0) const override { return gradient_of(p, c); }

  private:
    std::vector<Component>                                          components;
    std::function<Tensor<1, dim>(const Point<dim> &, unsigned int)> gradient_of;
  };

  /// Shared pointer to a LambdaFunction.
  template <int dim>
  std::shared_ptr<Function<dim>>
  make_function(std::vector<typename LambdaFunction<dim>::Component>            components,
                std::function<Tensor<1, dim>(const Point<dim> &, unsigned int)> gradient = {})
  {
    return std::make_shared<LambdaFunction<dim>>(std::move(components), std::move(gradient));
  }
} // namespace dendra::testing
