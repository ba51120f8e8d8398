/** Units the resource kinds convert quantities with. */
export const GB = 1e9;
export const MILLION = 1e6;
