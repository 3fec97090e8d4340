#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/base/plugins.h>
#include <dendra/materials/material_library.h>
#include <dendra/mesh/cu_collector.h>

#include <deal.II/base/numbers.h>

#include <algorithm>
#include <cmath>

namespace dendra
{
  using namespace dealii;

  template <int dim>
  void CuCollector<dim>::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Cu collector");
    prm.declare_entry("Feature", "cone", Patterns::Selection("flat|cone|cylinder|pyramid|channels"),
                      "What the Cu base carries: cones, cylinders (pillars) or square pyramids standing on it, "
                      "vertical microchannels cut into it (porous Cu), or nothing (flat). In 2D cones and "
                      "pyramids are triangles, cylinders rectangles, channels slots.");
    prm.declare_entry("Base thickness", "4e-6", Patterns::Double(),
                      "Thickness of the Cu base (m), > 0; channels are cut into it.");
    prm.declare_entry("Electrolyte thickness", "16e-6", Patterns::Double(),
                      "Electrolyte above the base top (m), > feature height.");
    prm.declare_entry("Pitch", "8e-6", Patterns::Double(),
                      "Centre distance of the features on their square lattice (m), > 0.");
    prm.declare_entry("Feature count", "1", Patterns::Integer(1, 100),
                      "Features per horizontal direction (-); the box is count x pitch wide.");
    prm.declare_entry("Feature height", "6e-6", Patterns::Double(),
                      "Height of cones, cylinders and pyramids above the base (m), > 0.");
    prm.declare_entry("Feature radius", "2e-6", Patterns::Double(),
                      "Base radius of cones and cylinders, half the base edge of pyramids (m), in (0, pitch / 2].");
    prm.declare_entry("Tip radius", "0", Patterns::Double(),
                      "Cones and pyramids: radius (half edge) of their flat top (m), in [0, Feature radius): 0 "
                      "is a sharp apex, larger values blunter frustums (tip sharpness). Keep it at least two "
                      "interface cells for plating runs: a one-cell spike focuses the current onto one cell.");
    prm.declare_entry("Channel diameter", "3e-6", Patterns::Double(),
                      "Diameter (2D: width) of the microchannels (m), in (0, pitch).");
    prm.declare_entry("Channel depth", "3e-6", Patterns::Double(),
                      "Depth of the microchannels below the base top (m), in (0, base thickness).");
    prm.declare_entry("Electrolyte material", "Liquid electrolyte",
                      Patterns::Selection(MaterialLibrary::pattern_names()), "Material above the Cu.");
    prm.leave_subsection();
  }

  template <int dim>
  void CuCollector<dim>::parse_parameters(ParameterHandler &prm, const MaterialLibrary &materials)
  {
    prm.enter_subsection("Cu collector");
    const std::string where = "Geometry/Cu collector/";
    feature_name            = prm.get("Feature");
    base_thickness          = prm.get_double("Base thickness");
    electrolyte_thickness   = prm.get_double("Electrolyte thickness");
    pitch                   = prm.get_double("Pitch");
    feature_count           = prm.get_integer("Feature count");
    feature_height          = prm.get_double("Feature height");
    feature_radius          = prm.get_double("Feature radius");
    tip_radius              = prm.get_double("Tip radius");
    channel_diameter        = prm.get_double("Channel diameter");
    channel_depth           = prm.get_double("Channel depth");
    electrolyte_name        = prm.get("Electrolyte material");
    electrolyte_id          = materials.by_name(electrolyte_name, where + "Electrolyte material").id;
    copper_id               = materials.by_name("Cu", where + "(Cu)").id;
    prm.leave_subsection();

    const std::map<std::string, Feature> features = {{"flat", Feature::flat},
                                                     {"cone", Feature::cone},
                                                     {"cylinder", Feature::cylinder},
                                                     {"pyramid", Feature::pyramid},
                                                     {"channels", Feature::channels}};
    feature                                       = features.at(feature_name);
    require_positive(
      where, {{"Base thickness", base_thickness}, {"Electrolyte thickness", electrolyte_thickness}, {"Pitch", pitch}},
      "m");
    const bool standing = feature == Feature::cone || feature == Feature::cylinder || feature == Feature::pyramid;
    if (standing)
      {
        require_input(feature_height > 0 && feature_height < electrolyte_thickness,
                      where + "Feature height = " + format_number(feature_height) +
                        " m must be in (0, Electrolyte thickness = " + format_number(electrolyte_thickness) + " m)");
        require_input(feature_radius > 0 && feature_radius <= pitch / 2,
                      where + "Feature radius = " + format_number(feature_radius) +
                        " m must be in (0, Pitch / 2 = " + format_number(pitch / 2) + " m]");
        require_input(tip_radius >= 0 && tip_radius < feature_radius,
                      where + "Tip radius = " + format_number(tip_radius) +
                        " m must be in [0, Feature radius = " + format_number(feature_radius) + " m)");
      }
    if (feature == Feature::channels)
      {
        require_input(channel_diameter > 0 && channel_diameter < pitch,
                      where + "Channel diameter = " + format_number(channel_diameter) +
                        " m must be in (0, Pitch = " + format_number(pitch) + " m)");
        require_input(channel_depth > 0 && channel_depth < base_thickness,
                      where + "Channel depth = " + format_number(channel_depth) +
                        " m must be in (0, Base thickness = " + format_number(base_thickness) + " m)");
      }
  }

  template <int dim>
  void CuCollector<dim>::create_coarse_mesh(Triangulation<dim> &triangulation) const
  {
    // Coarse cells of about half a pitch, the base thickness or the feature
    // (channel) width, whichever is least: MeshBuilder finds interfaces at
    // points half a cell apart, so no feature falls between them.
    double h0 = std::min(pitch / 2, base_thickness);
    if (feature == Feature::channels)
      h0 = std::min(h0, channel_diameter);
    else if (feature != Feature::flat)
      h0 = std::min(h0, 2 * feature_radius);
    create_slab_mesh(triangulation, 0.0, width(), 0.0, height(), h0);
  }

  template <int dim>
  void CuCollector<dim>::local_coordinates(const Point<dim> &p, double &s, double &radial, double &max_abs) const
  {
    s       = p[dim - 1] - base_thickness;
    radial  = 0;
    max_abs = 0;
    for (unsigned int d = 0; d + 1 < dim; ++d)
      {
        // Offset from the centre of the lattice cell the point lies in.
        const double offset = p[d] - (std::floor(p[d] / pitch) + 0.5) * pitch;
        radial += offset * offset;
        max_abs = std::max(max_abs, std::abs(offset));
      }
    radial = std::sqrt(radial);
  }

  template <int dim>
  bool CuCollector<dim>::in_copper(const Point<dim> &p) const
  {
    double s, radial, max_abs;
    local_coordinates(p, s, radial, max_abs);
    const double r = feature_radius, h = feature_height;
    switch (feature)
      {
      case Feature::flat:
        return s < 0;
      case Feature::cone: // a frustum whose radius falls linearly from r to the tip radius
        return s < 0 || (s < h && radial < r - (r - tip_radius) * s / h);
      case Feature::cylinder:
        return s < 0 || (radial < r && s < h);
      case Feature::pyramid:
        return s < 0 || (s < h && max_abs < r - (r - tip_radius) * s / h);
      case Feature::channels:
        return s < 0 && !(radial < channel_diameter / 2 && s > -channel_depth);
      }
    return false;
  }

  template <int dim>
  typename CuCollector<dim>::SurfaceRegion CuCollector<dim>::surface_region(const Point<dim> &p) const
  {
    double s, radial, max_abs;
    local_coordinates(p, s, radial, max_abs);
    // The meshed surface is a staircase within a cell of the exact one, so a
    // point goes to the exact face nearest to it rather than to the face it
    // lies on within a tolerance.
    if (feature == Feature::channels)
      {
        const double rc     = channel_diameter / 2;
        const double top    = std::abs(s);
        const double wall   = s < 0 && s > -channel_depth ? std::abs(radial - rc) : top + 1;
        const double bottom = radial < rc ? std::abs(s + channel_depth) : top + 1;
        if (top <= wall && top <= bottom)
          return radial < 2 * rc ? SurfaceRegion::tip : SurfaceRegion::base;
        if (wall <= bottom)
          return s > -rc ? SurfaceRegion::tip : SurfaceRegion::side;
        return SurfaceRegion::bottom;
      }
    if (feature == Feature::flat)
      return SurfaceRegion::base;
    // Standing features: the base plane, the lateral surface (radius R(s)
    // falling from the base radius to the tip radius; distance measured
    // horizontally) or the flat top.
    const double footprint = feature == Feature::pyramid ? max_abs : radial;
    const double h = feature_height, r = feature_radius;
    const double top_radius = feature == Feature::cylinder ? r : tip_radius;
    const double lateral    = std::abs(footprint - (r - (r - top_radius) * std::clamp(s, 0.0, h) / h));
    const double top        = footprint <= top_radius ? std::abs(s - h) : lateral + 1;
    if (std::abs(s) < std::min(lateral, top))
      return SurfaceRegion::base;
    return s > feature_height / 2 ? SurfaceRegion::tip : SurfaceRegion::side;
  }

  template <int dim>
  double CuCollector<dim>::area_ratio() const
  {
    // Exposed Cu surface of one lattice cell over its projected area.
    // Frustums: top radius rt (0: a sharp apex), slant height along a side.
    const double r = feature_radius, h = feature_height, rt = tip_radius;
    const double slant = std::sqrt((r - rt) * (r - rt) + h * h);
    const double cell  = dim == 2 ? pitch : pitch * pitch;
    double       added = 0; // surface gained by the feature
    switch (feature)
      {
      case Feature::flat:
        break;
      case Feature::cone:
        added = dim == 2 ? 2 * slant + 2 * rt - 2 * r : numbers::PI * ((r + rt) * slant + rt * rt - r * r);
        break;
      case Feature::cylinder:
        added = dim == 2 ? 2 * h : 2 * numbers::PI * r * h;
        break;
      case Feature::pyramid:
        added = dim == 2 ? 2 * slant + 2 * rt - 2 * r : 4 * ((r + rt) * slant + rt * rt - r * r);
        break;
      case Feature::channels:
        added = dim == 2 ? 2 * channel_depth : numbers::PI * channel_diameter * channel_depth;
        break;
      }
    return 1 + added / cell;
  }

  template <int dim>
  bool CuCollector<dim>::in_host(const Point<dim> &p) const
  {
    const double y = p[dim - 1];
    if (feature == Feature::flat)
      return false;
    if (feature == Feature::channels)
      return y < base_thickness && !in_copper(p);
    return y >= base_thickness && y < base_thickness + feature_height && !in_copper(p);
  }

  template <int dim>
  double CuCollector<dim>::host_height() const
  {
    return feature == Feature::flat ? 0.0 : feature == Feature::channels ? channel_depth : feature_height;
  }

  template <int dim>
  std::vector<std::string> CuCollector<dim>::host_surface_regions() const
  {
    return {"tip", "side", "base", "bottom"};
  }

  template <int dim>
  unsigned int CuCollector<dim>::host_surface_region(const Point<dim> &p) const
  {
    return static_cast<unsigned int>(surface_region(p));
  }

  template <int dim>
  types::material_id CuCollector<dim>::material_id_at(const Point<dim> &p) const
  {
    return in_copper(p) ? copper_id : electrolyte_id;
  }

  template <int dim>
  double CuCollector<dim>::initial_li_indicator(const Point<dim> &) const
  {
    return 0.0;
  }

  template <int dim>
  std::map<types::boundary_id, std::string> CuCollector<dim>::boundary_names() const
  {
    return slab_boundary_names<dim>("collector", "reservoir");
  }

  template <int dim>
  std::string CuCollector<dim>::description() const
  {
    std::string what = "flat Cu";
    if (feature == Feature::channels)
      what =
        "Cu with channels " + format_number(channel_diameter) + " m wide, " + format_number(channel_depth) + " m deep";
    else if (feature != Feature::flat)
      what = "Cu with " + feature_name + "s " + format_number(feature_height) + " m high, radius " +
             format_number(feature_radius) + " m" +
             (tip_radius > 0 ? ", tip radius " + format_number(tip_radius) + " m" : "");
    return what + ", pitch " + format_number(pitch) + " m (" + std::to_string(feature_count) +
           " per direction, area ratio " + format_number(area_ratio()) + "), base " + format_number(base_thickness) +
           " m, under " + format_number(electrolyte_thickness) + " m of " + electrolyte_name;
  }

  template class CuCollector<2>;
  template class CuCollector<3>;
} // namespace dendra

DENDRA_REGISTER_PLUGIN(dendra::Geometry, dendra::CuCollector, "Cu collector",
                       "a Cu current collector with cones, pillars, pyramids or microchannels under an electrolyte.")
