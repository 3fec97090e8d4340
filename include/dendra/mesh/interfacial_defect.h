#pragma once

#include <dendra/mesh/geometry.h>

#include <cmath>

namespace dendra
{
  /// Geometry "interfacial defect": a solid-electrolyte slab (height H) on a
  /// Li electrode (thickness h), with a Li-filled defect that opens into the
  /// electrolyte at the interface. The stacking direction is the last axis
  /// (y in 2D, z in 3D); the interface is at coordinate 0, the defect is
  /// centred at the origin of the horizontal plane. Defect shapes: semi-circle
  /// (semi-ellipse; a semi-sphere/ellipsoid of revolution in 3D), triangle
  /// (square pyramid in 3D), rectangle (cuboid in 3D) and cone (= triangle in 2D).
  /// Depth = aspect ratio x opening width.
  template <int dim>
  class InterfacialDefect : public Geometry<dim>
  {
  public:
    /// The defect shapes.
    enum class Shape
    {
      semi_circle,
      triangle,
      rectangle,
      cone
    };

    /// Declares subsection "Interfacial defect".
    static void declare_parameters(dealii::ParameterHandler &prm);
    void        parse_parameters(dealii::ParameterHandler &prm, const MaterialLibrary &materials) override;
    void        create_coarse_mesh(dealii::Triangulation<dim> &triangulation) const override;
    dealii::types::material_id                        material_id_at(const dealii::Point<dim> &p) const override;
    double                                            initial_li_indicator(const dealii::Point<dim> &p) const override;
    std::map<dealii::types::boundary_id, std::string> boundary_names() const override;
    std::string                                       description() const override;

    /// True if @p p lies inside the defect (not the electrode).
    bool in_defect(const dealii::Point<dim> &p) const;
    /// The defect filling is the initial deposit.
    bool in_initial_deposit(const dealii::Point<dim> &p) const override { return in_defect(p); }
    /// Defect depth = aspect ratio x width (m).
    double depth() const { return aspect_ratio * width; }
    /// Defect opening width (m).
    double opening_width() const { return width; }
    /// Exact defect area (2D, m^2) or volume (3D, m^3).
    double size() const { return shape_factor() * aspect_ratio * std::pow(width, dim); }
    /// The electrolyte above the interface (m): a filament through it shorts the cell.
    double separator_thickness() const override { return electrolyte_thickness; }
    /// Boundary id of the electrode's free face (bottom).
    static constexpr dealii::types::boundary_id bottom_id = slab_bottom_id<dim>;
    /// Boundary id of the electrolyte's free face (top).
    static constexpr dealii::types::boundary_id top_id = slab_top_id<dim>;

  private:
    /// size / (aspect ratio x width^dim) of the shape (-).
    double                     shape_factor() const;
    double                     electrolyte_width     = 0; ///< W (m), all horizontal directions
    double                     electrolyte_thickness = 0; ///< H (m)
    double                     electrode_thickness   = 0; ///< h (m)
    double                     width                 = 0; ///< defect opening width (m)
    double                     aspect_ratio          = 0; ///< depth / width (-)
    Shape                      shape                 = Shape::semi_circle;
    std::string                shape_name;
    dealii::types::material_id electrolyte_id = 0, electrode_id = 0;
    std::string                electrolyte_name;
  };
} // namespace dendra
