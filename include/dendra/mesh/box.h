#pragma once

#include <dendra/mesh/geometry.h>

#include <array>
#include <string>
#include <vector>

namespace dendra
{
  /// Geometry "box": [0, X] x [0, Y] (x [0, Z]) of one material or of layers
  /// stacked along x, with boundary ids 0..2dim-1 (x min, x max, y min, ...).
  template <int dim>
  class Box : public Geometry<dim>
  {
  public:
    /// Declares subsection "Box".
    static void declare_parameters(dealii::ParameterHandler &prm);
    void        parse_parameters(dealii::ParameterHandler &prm, const MaterialLibrary &materials) override;
    void        create_coarse_mesh(dealii::Triangulation<dim> &triangulation) const override;
    dealii::types::material_id material_id_at(const dealii::Point<dim> &p) const override;
    double                     initial_li_indicator(const dealii::Point<dim> &p) const override;
    std::string                description() const override;

  private:
    std::array<double, 3>       extent{};      ///< edge lengths (m)
    std::array<unsigned int, 3> repetitions{}; ///< coarse cells per edge (-)
    /// One layer: up to x = end (m), of one material.
    struct Layer
    {
      double                     end;
      dealii::types::material_id material_id;
      std::string                material_name;
    };
    const Layer       &layer_at(const dealii::Point<dim> &p) const;
    std::string        material_name; ///< of a box without layers
    std::vector<Layer> layers;        ///< along x, at least one
  };
} // namespace dendra
