//Maya ASCII 2024 scene
//Name: hero_modeling.ma
requires maya "2024";
createNode transform -n "hero_GEO";
// textures used by this scene live in ./resources/textures
