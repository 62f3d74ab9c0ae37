--- What the special token name `none` does to each property: it resets the
-- property to Figma's neutral value instead of applying a token.
-- Properties not listed here ignore `none`.
-- @module tokenflow.apply.resets

local array = require("tokenflow.apply.fields").array

local resets = {}

local function zero_corner(index)
  return { { op = "corner", index = index, value = 0 } }
end

local function zero_side(side)
  return { { op = "stroke_side", side = side, value = 0 } }
end

--- Operations written for `none`, by property key.
resets.by_key = {
  fill = { { op = "fills", paints = array {} } },
  asset = { { op = "fills", paints = array {} } },
  borderColor = { { op = "strokes", paints = array {} } },
  border = {
    { op = "strokes", paints = array {} },
    { op = "stroke_weight", value = 0 },
    { op = "dashes", value = { 0, 0 } },
  },
  borderTop = zero_side("top"), borderRight = zero_side("right"),
  borderBottom = zero_side("bottom"), borderLeft = zero_side("left"),
  borderRadius = { { op = "corner_radius", value = 0 } },
  borderRadiusTopLeft = zero_corner(1), borderRadiusTopRight = zero_corner(2),
  borderRadiusBottomRight = zero_corner(3), borderRadiusBottomLeft = zero_corner(4),
  borderWidth = { { op = "stroke_weight", value = 0 } },
  borderWidthTop = zero_side("top"), borderWidthRight = zero_side("right"),
  borderWidthBottom = zero_side("bottom"), borderWidthLeft = zero_side("left"),
  boxShadow = { { op = "shadows_off" } },
  backgroundBlur = { { op = "background_blur_off" } },
  opacity = { { op = "opacity", value = 1 } },
  spacing = { { op = "padding", top = 0, right = 0, bottom = 0, left = 0 } },
  horizontalPadding = { { op = "padding", left = 0, right = 0 } },
  verticalPadding = { { op = "padding", top = 0, bottom = 0 } },
  paddingTop = { { op = "padding", top = 0 } },
  paddingRight = { { op = "padding", right = 0 } },
  paddingBottom = { { op = "padding", bottom = 0 } },
  paddingLeft = { { op = "padding", left = 0 } },
  itemSpacing = { { op = "item_spacing", value = 0 } },
  rotation = { { op = "rotation", value = 0 } },
}

return resets
