#pragma once

#include <dendra/mesh/geometry.h>

#include <string>
#include <vector>

namespace dendra
{
  /// Geometry "layered rGO": a stack of N reduced-graphene-oxide sheets on a
  /// current collector, under an electrolyte. The stacking direction is the
  /// last axis (y in 2D, z in 3D); the collector is the bottom face y = 0.
  /// From the bottom: a gap, a sheet, a gap, a sheet, ... (N gaps and N
  /// sheets), then the electrolyte. Sheets are centred horizontally in the
  /// box and span the lateral size L < width, so the electrolyte reaches the
  /// gaps at the sheet edges. The lower part of every gap under the sheets
  /// holds Li (the Li of a Li-rGO composite); lithiophilic sites, random
  /// but reproducible from a seed, are Li nuclei on the upper faces of the
  /// sheets. An optional central rGO post (connector) joins the sheets and
  /// the collector electronically.
  /// Boundary ids as for boxes; 2 (dim - 1) is "collector", 2 dim - 1 "reservoir".
  template <int dim>
  class LayeredHost : public Geometry<dim>
  {
  public:
    /// Declares subsection "Layered rGO".
    static void declare_parameters(dealii::ParameterHandler &prm);
    void        parse_parameters(dealii::ParameterHandler &prm, const MaterialLibrary &materials) override;
    void        create_coarse_mesh(dealii::Triangulation<dim> &triangulation) const override;
    dealii::types::material_id material_id_at(const dealii::Point<dim> &p) const override;
    /// 1 in the Li of the gaps and in the nuclei at lithiophilic sites.
    double                                            initial_li_indicator(const dealii::Point<dim> &p) const override;
    std::map<dealii::types::boundary_id, std::string> boundary_names() const override;
    std::string                                       description() const override;

    /// Index of the sheet that contains @p p, or -1.
    int sheet_at(const dealii::Point<dim> &p) const;
    /// True if @p p lies in the connector post.
    bool in_connector(const dealii::Point<dim> &p) const;
    /// True if @p p lies within a site radius of a lithiophilic site (m).
    bool is_lithiophilic(const dealii::Point<dim> &p) const;
    /// True if @p p lies inside the host: under the top sheet and within its lateral size.
    bool in_host(const dealii::Point<dim> &p) const override;
    /// The stack height (m).
    double host_height() const override { return stack_height(); }
    /// "top" (upper face of the top sheet), "edge" (the sheets' ends), "inner" (faces inside the stack).
    std::vector<std::string> host_surface_regions() const override { return {"top", "edge", "inner"}; }
    /// The region of a point of a sheet's surface.
    unsigned int host_surface_region(const dealii::Point<dim> &p) const override;
    /// Centres of the lithiophilic sites on the sheets' upper faces (m).
    const std::vector<dealii::Point<dim>> &sites() const { return site_centres; }
    /// Height of the top face of the top sheet (m).
    double stack_height() const { return sheet_count * (gap + sheet_thickness); }

  private:
    /// True if the horizontal coordinates of @p p lie under the sheets.
    bool under_sheets(const dealii::Point<dim> &p) const;
    void place_sites();

    unsigned int                    sheet_count           = 1;
    double                          sheet_thickness       = 0; ///< (m)
    double                          gap                   = 0; ///< interlayer gap (m)
    double                          lateral_size          = 0; ///< L (m)
    double                          width                 = 0; ///< box width (m)
    double                          electrolyte_thickness = 0; ///< above the stack (m)
    double                          li_fill               = 0; ///< Li fraction of each gap's height (-)
    double                          connector_width       = 0; ///< central post joining the sheets; 0: none (m)
    unsigned int                    sites_per_sheet       = 0;
    double                          site_radius           = 0; ///< (m)
    unsigned int                    seed                  = 1;
    std::vector<dealii::Point<dim>> site_centres;
    dealii::types::material_id      rgo_id = 0, li_id = 0, electrolyte_id = 0;
    std::string                     electrolyte_name;
  };
} // namespace dendra
