#pragma once

#include <dendra/mesh/geometry.h>

#include <string>
#include <vector>

namespace dendra
{
  /// Geometry "Cu collector": a 3D Cu current collector under a liquid (or
  /// polymer) electrolyte. The stacking direction is the last axis (y in 2D,
  /// z in 3D), the Cu base fills 0 < y < base thickness, and the box spans
  /// [0, count x pitch] in every horizontal direction, so that its side
  /// faces are symmetry planes between features. Features on a square
  /// lattice of the given pitch, centred in their lattice cells:
  ///  - cones, cylinders or square pyramids standing on the base (2D:
  ///    triangles, rectangles, triangles), of a height and base radius;
  ///  - vertical microchannels into the base (porous Cu), of a diameter and
  ///    depth (2D: slots).
  /// Boundary ids as for boxes: 0/1 x min/max, ..., 2 (dim - 1) the bottom of
  /// the Cu ("collector"), 2 dim - 1 the top of the electrolyte ("reservoir").
  template <int dim>
  class CuCollector : public Geometry<dim>
  {
  public:
    /// What stands on (or is cut into) the Cu base.
    enum class Feature
    {
      flat,
      cone,
      cylinder,
      pyramid,
      channels
    };

    /// Named parts of the Cu surface (for currents per region).
    enum class SurfaceRegion
    {
      tip,   ///< upper half of a feature; a channel mouth: the top face within one channel radius of the rim
             ///< and the upper channel radius of the wall
      side,  ///< lower half of a feature; the channel wall below its mouth
      base,  ///< the base between features; the top face away from the channel mouths
      bottom ///< a channel bottom
    };

    /// Declares subsection "Cu collector".
    static void declare_parameters(dealii::ParameterHandler &prm);
    void        parse_parameters(dealii::ParameterHandler &prm, const MaterialLibrary &materials) override;
    void        create_coarse_mesh(dealii::Triangulation<dim> &triangulation) const override;
    dealii::types::material_id material_id_at(const dealii::Point<dim> &p) const override;
    /// No Li at the start: Li plates on the bare Cu (0).
    double                                            initial_li_indicator(const dealii::Point<dim> &p) const override;
    std::map<dealii::types::boundary_id, std::string> boundary_names() const override;
    std::string                                       description() const override;

    /// True if @p p (m) lies in the Cu.
    bool in_copper(const dealii::Point<dim> &p) const;
    /// The region of the Cu surface that @p p, a point on that surface (m), belongs to.
    SurfaceRegion surface_region(const dealii::Point<dim> &p) const;
    /// Width of the box in every horizontal direction, count x pitch (m).
    double width() const { return feature_count * pitch; }
    /// Height of the box: base + electrolyte thickness (m).
    double height() const { return base_thickness + electrolyte_thickness; }
    /// Area of the Cu surface exposed to the electrolyte per projected area (-), >= 1.
    double area_ratio() const;
    /// Between the features' tips (cones, pillars, pyramids) or in the channels.
    bool in_host(const dealii::Point<dim> &p) const override;
    /// Feature height, channel depth, or 0 (flat) (m).
    double host_height() const override;
    /// "tip", "side", "base", "bottom" (SurfaceRegion's order).
    std::vector<std::string> host_surface_regions() const override;
    /// surface_region() as an index.
    unsigned int host_surface_region(const dealii::Point<dim> &p) const override;

  private:
    /// Height above the base and horizontal distance (Euclidean, max-norm) of
    /// @p p to the nearest feature axis (m).
    void local_coordinates(const dealii::Point<dim> &p, double &s, double &radial, double &max_abs) const;

    Feature                    feature = Feature::cone;
    std::string                feature_name;
    double                     base_thickness        = 0; ///< Cu base (m)
    double                     electrolyte_thickness = 0; ///< above the base (m)
    double                     pitch                 = 0; ///< feature spacing (m)
    unsigned int               feature_count         = 1; ///< features per horizontal direction (-)
    double                     feature_height        = 0; ///< cone/cylinder/pyramid height (m)
    double                     feature_radius        = 0; ///< base radius / half width (m)
    double                     tip_radius            = 0; ///< flat top of cones and pyramids (m); 0: sharp
    double                     channel_diameter      = 0; ///< channels (m)
    double                     channel_depth         = 0; ///< channels, below the base top (m)
    dealii::types::material_id copper_id = 0, electrolyte_id = 0;
    std::string                electrolyte_name;
  };
} // namespace dendra
