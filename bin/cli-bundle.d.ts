export declare const CLI_BUNDLE_DIR: string;
export declare function freshCliBundle(cacheDir?: string): string | undefined;
