#pragma once

#include <dendra/mesh/geometry.h>

#include <set>

namespace dendra
{
  /// Geometry "gmsh": a body-fitted hexahedral/quadrilateral mesh from a gmsh
  /// .msh file. Physical tags of cells are material ids, physical tags of
  /// boundary faces are boundary ids.
  template <int dim>
  class GmshFile : public Geometry<dim>
  {
  public:
    /// Declares subsection "Gmsh".
    static void declare_parameters(dealii::ParameterHandler &prm);
    void        parse_parameters(dealii::ParameterHandler &prm, const MaterialLibrary &materials) override;
    void        create_coarse_mesh(dealii::Triangulation<dim> &triangulation) const override;
    dealii::types::material_id                        material_id_at(const dealii::Point<dim> &p) const override;
    bool                                              classifies_cells() const override { return false; }
    double                                            initial_li_indicator(const dealii::Point<dim> &p) const override;
    std::map<dealii::types::boundary_id, std::string> boundary_names() const override;
    std::string                                       description() const override;

  private:
    std::string                          file_name;
    double                               scale = 1; ///< mesh length unit in m
    dealii::types::material_id           li_id = 0;
    std::set<dealii::types::material_id> known_ids;
  };
} // namespace dendra
