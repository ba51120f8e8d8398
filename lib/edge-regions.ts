/**
 * Where the AWS Regions are (their metro areas, to a tenth of a degree): the edge's CloudFront
 * router sends each viewer to the nearest region that runs the edge function. An edge region must be
 * listed here; that is also what makes an edge region name valid.
 */
export interface RegionLocation {
  readonly latitude: number;
  readonly longitude: number;
}

export const REGION_LOCATIONS: Readonly<Record<string, RegionLocation>> = {
  'us-east-1': { latitude: 38.9, longitude: -77.4 }, // N. Virginia
  'us-east-2': { latitude: 40.0, longitude: -83.0 }, // Ohio
  'us-west-1': { latitude: 37.4, longitude: -121.9 }, // N. California
  'us-west-2': { latitude: 45.8, longitude: -119.7 }, // Oregon
  'ca-central-1': { latitude: 45.5, longitude: -73.6 }, // Montreal
  'ca-west-1': { latitude: 51.0, longitude: -114.1 }, // Calgary
  'mx-central-1': { latitude: 20.6, longitude: -100.4 }, // Querétaro
  'sa-east-1': { latitude: -23.5, longitude: -46.6 }, // São Paulo
  'eu-west-1': { latitude: 53.3, longitude: -6.3 }, // Ireland
  'eu-west-2': { latitude: 51.5, longitude: -0.1 }, // London
  'eu-west-3': { latitude: 48.9, longitude: 2.4 }, // Paris
  'eu-central-1': { latitude: 50.1, longitude: 8.7 }, // Frankfurt
  'eu-central-2': { latitude: 47.4, longitude: 8.5 }, // Zurich
  'eu-north-1': { latitude: 59.3, longitude: 18.1 }, // Stockholm
  'eu-south-1': { latitude: 45.5, longitude: 9.2 }, // Milan
  'eu-south-2': { latitude: 41.6, longitude: -0.9 }, // Aragón
  'il-central-1': { latitude: 32.1, longitude: 34.8 }, // Tel Aviv
  'me-central-1': { latitude: 24.5, longitude: 54.4 }, // UAE
  'me-south-1': { latitude: 26.1, longitude: 50.6 }, // Bahrain
  'af-south-1': { latitude: -33.9, longitude: 18.4 }, // Cape Town
  'ap-south-1': { latitude: 19.1, longitude: 72.9 }, // Mumbai
  'ap-south-2': { latitude: 17.4, longitude: 78.5 }, // Hyderabad
  'ap-east-1': { latitude: 22.3, longitude: 114.2 }, // Hong Kong
  'ap-east-2': { latitude: 25.0, longitude: 121.5 }, // Taipei
  'ap-southeast-1': { latitude: 1.3, longitude: 103.8 }, // Singapore
  'ap-southeast-2': { latitude: -33.9, longitude: 151.2 }, // Sydney
  'ap-southeast-3': { latitude: -6.2, longitude: 106.8 }, // Jakarta
  'ap-southeast-4': { latitude: -37.8, longitude: 145.0 }, // Melbourne
  'ap-southeast-5': { latitude: 3.1, longitude: 101.7 }, // Malaysia
  'ap-southeast-7': { latitude: 13.8, longitude: 100.5 }, // Thailand
  'ap-northeast-1': { latitude: 35.7, longitude: 139.7 }, // Tokyo
  'ap-northeast-2': { latitude: 37.6, longitude: 127.0 }, // Seoul
  'ap-northeast-3': { latitude: 34.7, longitude: 135.5 }, // Osaka
};
