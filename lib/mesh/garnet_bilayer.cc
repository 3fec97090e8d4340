#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/base/plugins.h>
#include <dendra/materials/material_library.h>
#include <dendra/mesh/garnet_bilayer.h>

#include <deal.II/base/numbers.h>

#include "seeded_uniform.h"

#include <cmath>

namespace dendra
{
  using namespace dealii;

  template <int dim>
  void GarnetBilayer<dim>::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Garnet bilayer");
    prm.declare_entry("Width", "20e-6", Patterns::Double(), "Width in every horizontal direction (m), > 0.");
    prm.declare_entry("Electrode thickness", "2e-6", Patterns::Double(),
                      "Li electrode under the porous layer (m), > 0.");
    prm.declare_entry("Porous thickness", "10e-6", Patterns::Double(), "Porous LLZO layer (m), > 0.");
    prm.declare_entry("Dense thickness", "6e-6", Patterns::Double(), "Dense LLZO layer (m), > 0.");
    prm.declare_entry("Top porous thickness", "0", Patterns::Double(),
                      "Second porous layer on the dense one (m), >= 0; 0 makes a bilayer, > 0 a trilayer (its "
                      "pores are empty, for the cathode).");
    prm.declare_entry("Pore diameter", "3e-6", Patterns::Double(),
                      "Diameter of the (overlapping) pores (m), > 0 and below the porous thickness.");
    prm.declare_entry("Porosity", "0.5", Patterns::Double(),
                      "Pore volume fraction of the porous layers (-), in (0, 0.95).");
    prm.declare_entry("Infiltrated", "true", Patterns::Bool(),
                      "true: the pores of the lower porous layer hold Li metal; false: they are void.");
    prm.declare_entry("Random seed", "1", Patterns::Integer(0),
                      "Seed of the pore positions (-): equal seeds give equal layouts on every machine.");
    prm.leave_subsection();
  }

  template <int dim>
  void GarnetBilayer<dim>::parse_parameters(ParameterHandler &prm, const MaterialLibrary &materials)
  {
    prm.enter_subsection("Garnet bilayer");
    const std::string where = "Geometry/Garnet bilayer/";
    width                   = prm.get_double("Width");
    electrode_thickness     = prm.get_double("Electrode thickness");
    porous_thickness        = prm.get_double("Porous thickness");
    dense_thickness         = prm.get_double("Dense thickness");
    top_porous_thickness    = prm.get_double("Top porous thickness");
    pore_diameter           = prm.get_double("Pore diameter");
    porosity                = prm.get_double("Porosity");
    infiltrated             = prm.get_bool("Infiltrated");
    seed                    = prm.get_integer("Random seed");
    prm.leave_subsection();
    li_id       = materials.by_name("Li metal", where + "(Li metal)").id;
    dense_id    = materials.by_name("LLZO", where + "(LLZO)").id;
    skeleton_id = materials.by_name("Porous LLZO", where + "(Porous LLZO)").id;
    void_id     = materials.by_name("Void", where + "(Void)").id;

    require_positive(where,
                     {{"Width", width},
                      {"Electrode thickness", electrode_thickness},
                      {"Porous thickness", porous_thickness},
                      {"Dense thickness", dense_thickness},
                      {"Pore diameter", pore_diameter}},
                     "m");
    require_input(top_porous_thickness >= 0,
                  where + "Top porous thickness = " + format_number(top_porous_thickness) + " m must be >= 0");
    require_input(pore_diameter < porous_thickness,
                  where + "Pore diameter = " + format_number(pore_diameter) +
                    " m must be below Porous thickness = " + format_number(porous_thickness) + " m");
    require_input(porosity > 0 && porosity < 0.95,
                  where + "Porosity = " + format_number(porosity) + " must be in (0, 0.95)");
    require_input(top_porous_thickness == 0 || pore_diameter < top_porous_thickness,
                  where + "Pore diameter = " + format_number(pore_diameter) +
                    " m must be below Top porous thickness = " + format_number(top_porous_thickness) + " m");
    pores     = place_pores(electrode_thickness, porous_thickness, 0);
    top_pores = top_porous_thickness > 0 ? place_pores(dense_top(), top_porous_thickness, 1) : PoreLayer();
  }

  template <int dim>
  typename GarnetBilayer<dim>::PoreLayer GarnetBilayer<dim>::place_pores(const double bottom, const double thickness,
                                                                         const unsigned int stream) const
  {
    // Centres fill the layer grown by one pore radius on every side, so that
    // pores cut by the layer's faces keep the porosity uniform up to them.
    const double r = pore_diameter / 2;
    PoreLayer    layer;
    layer.spacing = pore_diameter;
    std::array<double, dim> extent; // of the grown layer (m)
    double                  volume = 1;
    for (unsigned int d = 0; d < dim; ++d)
      {
        extent[d]                 = (d + 1 < dim ? width : thickness) + 2 * r;
        layer.origin[d]           = (d + 1 < dim ? 0.0 : bottom) - r;
        layer.buckets_per_axis[d] = static_cast<int>(std::ceil(extent[d] / layer.spacing));
        volume *= extent[d];
      }
    const double pore         = dim == 2 ? numbers::PI * r * r : 4. / 3 * numbers::PI * r * r * r;
    const double count_needed = std::ceil(-std::log(1 - porosity) * volume / pore);
    require_input(count_needed <= 5e7, "Geometry/Garnet bilayer/Pore diameter = " + format_number(pore_diameter) +
                                         " m needs " + format_number(count_needed) +
                                         " pores for the layer (at most 5e7); use larger pores or a smaller Width");
    const auto    count = static_cast<unsigned int>(count_needed);
    SeededUniform uniform(seed + 1000003ULL * stream);
    unsigned int  n_buckets = 1;
    for (const int n : layer.buckets_per_axis)
      n_buckets *= n;
    layer.buckets.resize(n_buckets);
    layer.centres.resize(count);
    for (unsigned int i = 0; i < count; ++i)
      {
        unsigned int bucket = 0, stride = 1;
        for (unsigned int d = 0; d < dim; ++d)
          {
            layer.centres[i][d] = layer.origin[d] + extent[d] * uniform();
            const int b         = std::min(layer.buckets_per_axis[d] - 1,
                                           static_cast<int>((layer.centres[i][d] - layer.origin[d]) / layer.spacing));
            bucket += stride * b;
            stride *= layer.buckets_per_axis[d];
          }
        layer.buckets[bucket].push_back(i);
      }
    return layer;
  }

  template <int dim>
  bool GarnetBilayer<dim>::PoreLayer::contains(const Point<dim> &p, const double radius) const
  {
    // A pore of radius <= spacing / 2 that contains p has its centre in p's
    // bucket or in a neighbouring one.
    Assert(radius <= spacing / 2 * (1 + 1e-12), ExcMessage("pores larger than the buckets"));
    std::array<int, dim> home;
    for (unsigned int d = 0; d < dim; ++d)
      home[d] = static_cast<int>(std::floor((p[d] - origin[d]) / spacing));
    const unsigned int n_neighbours = dim == 2 ? 9 : 27;
    for (unsigned int k = 0; k < n_neighbours; ++k)
      {
        unsigned int bucket = 0, stride = 1, code = k;
        bool         inside = true;
        for (unsigned int d = 0; d < dim; ++d, code /= 3)
          {
            const int b = home[d] + static_cast<int>(code % 3) - 1;
            inside      = inside && b >= 0 && b < buckets_per_axis[d];
            bucket += stride * std::max(b, 0);
            stride *= buckets_per_axis[d];
          }
        if (inside)
          for (const unsigned int i : buckets[bucket])
            if (p.distance_square(centres[i]) < radius * radius)
              return true;
      }
    return false;
  }

  template <int dim>
  typename GarnetBilayer<dim>::Layer GarnetBilayer<dim>::layer_at(const Point<dim> &p) const
  {
    const double y = p[dim - 1];
    if (y < electrode_thickness)
      return Layer::electrode;
    if (y < dense_bottom())
      return Layer::porous;
    if (y < dense_top())
      return Layer::dense;
    if (y < dense_top() + top_porous_thickness)
      return Layer::top_porous;
    return Layer::outside;
  }

  template <int dim>
  bool GarnetBilayer<dim>::in_pore(const Point<dim> &p) const
  {
    const Layer layer = layer_at(p);
    if (layer != Layer::porous && layer != Layer::top_porous)
      return false;
    return (layer == Layer::porous ? pores : top_pores).contains(p, pore_diameter / 2);
  }

  template <int dim>
  double GarnetBilayer<dim>::sampled_porosity(const unsigned int samples) const
  {
    // Midpoints of a regular lattice over the lower porous layer.
    unsigned int inside = 0, total = 0;
    const auto   n_points = static_cast<unsigned int>(std::pow(samples, dim));
    for (unsigned int i = 0; i < n_points; ++i)
      {
        Point<dim>   p;
        unsigned int index = i;
        for (unsigned int d = 0; d < dim; ++d, index /= samples)
          {
            const double fraction = (index % samples + 0.5) / samples;
            p[d]                  = d + 1 < dim ? fraction * width : electrode_thickness + fraction * porous_thickness;
          }
        inside += in_pore(p);
        ++total;
      }
    return double(inside) / total;
  }

  template <int dim>
  void GarnetBilayer<dim>::create_coarse_mesh(Triangulation<dim> &triangulation) const
  {
    // Coarse cells of about one pore diameter (or the thinnest layer);
    // interface refinement resolves pores and layer faces.
    double h0 = std::min({pore_diameter, electrode_thickness, dense_thickness, width / 2});
    if (top_porous_thickness > 0)
      h0 = std::min(h0, top_porous_thickness);
    create_slab_mesh(triangulation, 0.0, width, 0.0, dense_top() + top_porous_thickness, h0);
  }

  template <int dim>
  types::material_id GarnetBilayer<dim>::material_id_at(const Point<dim> &p) const
  {
    switch (layer_at(p))
      {
      case Layer::electrode:
        return li_id;
      case Layer::porous:
        return in_pore(p) ? (infiltrated ? li_id : void_id) : skeleton_id;
      case Layer::top_porous:
        return in_pore(p) ? void_id : skeleton_id;
      default:
        return dense_id;
      }
  }

  template <int dim>
  double GarnetBilayer<dim>::initial_li_indicator(const Point<dim> &p) const
  {
    return material_id_at(p) == li_id ? 1.0 : 0.0;
  }

  template <int dim>
  std::map<types::boundary_id, std::string> GarnetBilayer<dim>::boundary_names() const
  {
    return slab_boundary_names<dim>("collector", "top");
  }

  template <int dim>
  std::string GarnetBilayer<dim>::description() const
  {
    return std::string(top_porous_thickness > 0 ? "garnet trilayer" : "garnet bilayer") + ": " +
           format_number(porous_thickness) + " m porous LLZO (" + std::to_string(pores.centres.size()) + " pores of " +
           format_number(pore_diameter) + " m, porosity " + format_number(porosity) + ", " +
           (infiltrated ? "Li-filled" : "empty") + ") on " + format_number(electrode_thickness) + " m Li, under " +
           format_number(dense_thickness) + " m dense LLZO" +
           (top_porous_thickness > 0 ? " and " + format_number(top_porous_thickness) + " m porous LLZO" : "") + ", " +
           format_number(width) + " m wide";
  }

  template class GarnetBilayer<2>;
  template class GarnetBilayer<3>;
} // namespace dendra

DENDRA_REGISTER_PLUGIN(dendra::Geometry, dendra::GarnetBilayer, "garnet bilayer",
                       "porous LLZO with Li in its pores on dense LLZO, on a Li electrode (optionally a trilayer).")
